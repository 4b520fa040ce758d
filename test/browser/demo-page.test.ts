import type { Frame, Page } from 'playwright-core';
import t from 'tap';
import { launchBrowser, startService, UI_TIMEOUT_MS, withPage } from './harness.js';

/*
 * The demo merchant page end to end in headless Chromium: Pay → POST /checkout → the sandbox's
 * Flinks Pay app in a popup (or an iframe) → the tester's choice → the outcome from the server.
 * The page pays through the drop-in browser client, which settles paid from Accepted on.
 */

type Choice = '#approve' | '#decline' | '#cancel';

/** In the sandbox app: pick the first bank offered, then press `choice`. */
async function decide(app: Page | Frame, choice: Choice): Promise<void> {
  await app.waitForSelector(choice);
  const options = await app.locator('select#bank option').all();
  const bank = (await Promise.all(options.map((option) => option.getAttribute('value')))).find(Boolean);
  if (bank) await app.selectOption('select#bank', bank);
  await app.click(choice);
  // Cancelling asks "are you sure?" first, as the Flinks app does (CANCEL_CONFIRMATION).
  if (choice === '#cancel') await app.click('#confirm-cancel');
}

async function payInPopup(page: Page, choice: Choice): Promise<void> {
  const popup = page.waitForEvent('popup');
  await page.click('#pay');
  await decide(await popup, choice);
}

const PAID = 'payment complete';

/** The id of the page's focused element ('' for the body: focus was lost). */
const focusedId = (page: Page) => page.evaluate<string>('document.activeElement?.id ?? ""');

const outcome = (page: Page, word: string) => page.locator('#outcome', { hasText: word }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });

t.test('demo page', async (t) => {
  const browser = await launchBrowser(t);
  const baseUrl = await startService(t);

  t.test('approving in the Flinks Pay popup ends paid', async (t) => {
    await withPage(t, browser, 'demo-approve-settled', async ({ page, pageErrors, cspViolations }) => {
      const paths: string[] = [];
      page.on('request', (request) => paths.push(new URL(request.url()).pathname));
      const consoleErrors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
      });
      await page.goto(baseUrl);
      t.equal(await page.inputValue('#amount'), '49.95', 'the cart has a default amount');
      await payInPopup(page, '#approve');
      await outcome(page, PAID);
      t.match(await page.textContent('#outcome'), /^(Accepted|Processed|Settled) — payment complete/);
      t.match(await page.getAttribute('#outcome', 'class'), /success/);
      t.match(await page.textContent('#status'), /Accepted|Processed|Settled/);
      t.ok(await page.isEnabled('#pay'), 'another payment can start');
      t.equal(await focusedId(page), 'pay', 'focus is back on Pay once the popup is put away');
      t.ok(await page.isHidden('#error'));
      t.match(await page.textContent('#app-step'), /Flinks Pay app: \w+/, 'the app events reached the page');
      t.ok(
        paths.some((path) => /^\/checkout\/[^/]+\/events$/.test(path)),
        'followed the event stream',
      );
      const reads = paths.filter((path) => /^\/checkout\/[^/]+$/.test(path)).length;
      t.ok(reads <= 1, `no polling while the stream works: at most the one read the app's SUCCESS asks for (${reads})`);
      t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
      t.same(consoleErrors, [], 'nothing red in the console: no favicon 404, no 404 while the merchant backend awaits its webhook');
    });
  });

  t.test('when the event stream fails, polling still reaches the outcome', async (t) => {
    const breakStream = (page: Page) => page.route(/\/checkout\/[^/]+\/events$/, (route) => route.abort());
    await withPage(
      t,
      browser,
      'demo-polling-settled',
      async ({ page, pageErrors, cspViolations }) => {
        await page.goto(baseUrl);
        const polled = page.waitForRequest((request) => /\/checkout\/[^/]+$/.test(new URL(request.url()).pathname));
        await payInPopup(page, '#approve');
        await polled;
        await outcome(page, PAID);
        t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
      },
      breakStream,
    );
  });

  t.test('while status reads fail after the shopper approved, the page says the payment was submitted, then reaches the outcome', async (t) => {
    const reads = /\/checkout\/[^/]+(\/events)?$/;
    await withPage(t, browser, 'demo-submitted-waiting', async ({ page, pageErrors, cspViolations }) => {
      await page.route(reads, (route) => route.abort());
      await page.goto(baseUrl);
      await payInPopup(page, '#approve');
      await page
        .locator('#status', { hasText: 'submitted in the Flinks Pay window; waiting for Flinks Pay to confirm it' })
        .waitFor({ timeout: UI_TIMEOUT_MS });
      t.notMatch(await page.textContent('#status'), /complete the payment/);
      await page.unroute(reads);
      await outcome(page, PAID);
      t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
    });
  });

  t.test('declining ends in Declined', async (t) => {
    await withPage(t, browser, 'demo-decline-declined', async ({ page, pageErrors, cspViolations }) => {
      await page.goto(baseUrl);
      await payInPopup(page, '#decline');
      await outcome(page, 'Declined');
      t.match(await page.getAttribute('#outcome', 'class'), /failure/);
      t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
    });
  });

  t.test('cancelling ends in Cancelled', async (t) => {
    await withPage(t, browser, 'demo-cancel-cancelled', async ({ page, pageErrors, cspViolations }) => {
      await page.goto(baseUrl);
      await payInPopup(page, '#cancel');
      await outcome(page, 'Cancelled');
      t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
    });
  });

  t.test('a blocked popup falls back to the iframe', async (t) => {
    // What a popup blocker does: window.open answers null.
    const blockPopups = (page: Page) => page.addInitScript({ content: 'window.open = () => null;' });
    await withPage(
      t,
      browser,
      'demo-iframe-settled',
      async ({ page, pageErrors, cspViolations }) => {
        await page.goto(baseUrl);
        await page.click('#pay');
        const overlay = '[data-flinks-pay="overlay"]';
        await page.waitForSelector(`${overlay} iframe`, { state: 'visible' });
        const frame = await (await page.$(`${overlay} iframe`))?.contentFrame();
        if (!frame) throw new Error('the iframe has no frame');
        await decide(frame, '#approve');
        await outcome(page, PAID);
        t.ok(await page.isHidden(overlay), 'the app is put away once the payment is paid');
        t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
      },
      blockPopups,
    );
  });

  t.test('from the keyboard: leaving the overlay, then paying in it, focus comes back to Pay each time', async (t) => {
    const blockPopups = (page: Page) => page.addInitScript({ content: 'window.open = () => null;' });
    await withPage(
      t,
      browser,
      'demo-overlay-keyboard',
      async ({ page, pageErrors, cspViolations }) => {
        await page.goto(baseUrl);
        await page.focus('#pay:enabled');
        await page.keyboard.press('Enter');
        const overlay = '[data-flinks-pay="overlay"]';
        await page.waitForSelector(`${overlay} iframe`, { state: 'visible' });
        await page.focus(`${overlay} button[aria-label="Close the payment"]`);
        await page.keyboard.press('Enter');
        await page.keyboard.press('Tab');
        await page.keyboard.press('Enter');
        await page.locator('#status', { hasText: 'Pay resumes it' }).waitFor();
        t.ok(await page.isHidden(overlay), 'Leave put the overlay away');
        t.equal(await focusedId(page), 'pay', 'focus returns to Pay after leaving');

        await page.keyboard.press('Enter');
        await page.waitForSelector(`${overlay} iframe`, { state: 'visible' });
        const frame = await (await page.$(`${overlay} iframe`))?.contentFrame();
        if (!frame) throw new Error('the iframe has no frame');
        await decide(frame, '#approve');
        await outcome(page, PAID);
        t.equal(await focusedId(page), 'pay', 'focus returns to Pay once the payment is done');
        t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
      },
      blockPopups,
    );
  });

  t.test('Pay again after leaving follows the order at the merchant backend once, not once more per Pay', async (t) => {
    const blockPopups = (page: Page) => page.addInitScript({ content: 'window.open = () => null;' });
    await withPage(
      t,
      browser,
      'demo-merchant-follow-once',
      async ({ page, pageErrors, cspViolations }) => {
        const reads: number[] = [];
        page.on('request', (request) => {
          if (new URL(request.url()).pathname.startsWith('/demo/merchant/orders/')) reads.push(Date.now());
        });
        await page.goto(baseUrl);
        await page.waitForSelector('#merchant-panel', { state: 'visible' });
        // Each Pay resumes the same checkout, and onCheckout follows its order again.
        for (let pays = 0; pays < 3; pays++) {
          await page.click('#pay:enabled');
          await page.getByRole('button', { name: 'Close the payment' }).click();
          await page.getByRole('button', { name: 'Leave' }).click();
          await page.locator('#status', { hasText: 'Pay resumes it' }).waitFor();
        }
        const from = Date.now();
        await page.waitForTimeout(3000);
        const recent = reads.filter((at) => at >= from).length;
        t.ok(recent <= 4, `one read a second, from one loop (${recent} in 3 s)`);
        t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
      },
      blockPopups,
    );
  });

  t.test('a reload before the page learned of the approval, then Pay: the same order is not paid twice', async (t) => {
    await withPage(t, browser, 'demo-reload-paid-once', async ({ page, pageErrors, cspViolations }) => {
      let posts = 0;
      page.on('request', (request) => {
        if (request.method() === 'POST' && new URL(request.url()).pathname === '/checkout') posts++;
      });
      // The page does not hear of the outcome before the reload (a slow status, a shopper too quick).
      const statusReads = /\/checkout\/[^/]+(\/events)?$/;
      await page.route(statusReads, (route) => route.abort());
      await page.goto(baseUrl);
      const popupOpened = page.waitForEvent('popup');
      await page.click('#pay');
      const popup = await popupOpened;
      await decide(popup, '#approve');
      await popup.locator('#result[data-status="Accepted"]').waitFor();
      await page.unroute(statusReads);

      await page.reload();
      await page.click('#pay:enabled');
      await outcome(page, PAID);
      t.equal(posts, 1, 'one POST /checkout: the reloaded page resumed the paid order');
      t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
    });
  });

  t.test("opened under another name of this machine than the app's, the overlay still shows the app", async (t) => {
    // The service listens on 127.0.0.1, so launchUrl is http://127.0.0.1:…; the page is opened at localhost
    // (and `npm start`, on 0.0.0.0, makes it localhost while its start-up log shows 127.0.0.1).
    const pageUrl = baseUrl.replace('//127.0.0.1:', '//localhost:');
    t.not(pageUrl, baseUrl);
    const blockPopups = (page: Page) => page.addInitScript({ content: 'window.open = () => null;' });
    await withPage(
      t,
      browser,
      'demo-iframe-other-host',
      async ({ page, pageErrors, cspViolations }) => {
        await page.goto(pageUrl);
        await page.click('#pay:enabled');
        const frame = await (await page.waitForSelector('[data-flinks-pay="overlay"] iframe')).contentFrame();
        if (!frame) throw new Error('the iframe has no frame');
        await decide(frame, '#approve');
        await outcome(page, PAID);
        t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
      },
      blockPopups,
    );
  });

  t.test('a refused checkout names the field by its label, marks it invalid and focuses it, and opens nothing', async (t) => {
    await withPage(t, browser, 'demo-invalid-email', async ({ page, pageErrors, cspViolations }) => {
      await page.goto(baseUrl);
      await page.fill('#email', 'not-an-email');
      await page.click('#pay');
      await page.locator('#error', { hasText: /^E-mail: / }).waitFor({ state: 'visible' });
      t.equal(await page.getAttribute('#email', 'aria-invalid'), 'true');
      t.equal(await page.getAttribute('#email', 'aria-describedby'), 'error');
      t.equal(await page.evaluate('document.activeElement.id'), 'email', 'focus on the field to correct');
      t.ok(await page.isHidden('#outcome'));
      t.ok(await page.isEnabled('#pay'), 'the shopper can correct and retry');
      t.same(page.context().pages().length, 1, 'the popup opened for the click was closed again');
      await page.fill('#email', 'jane@example.com');
      await page.click('#pay');
      await page.locator('#email:not([aria-invalid])').waitFor();
      t.pass('corrected and sent again, the field is no longer marked');
      t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
    });
  });
});
