import type { Page, Request } from 'playwright-core';
import t from 'tap';
import { startBufferingProxy } from './buffering-proxy.js';
import { launchBrowser, withPage } from './harness.js';
import { checkoutPostsOf, decide, isCheckoutPost, listed, nextCheckout, payInPopup, settled, startMerchant, startServiceFor } from './merchant.js';
import { claims, hs256, SIGNED_ENV } from '../intents/support.js';

/*
 * The drop-in browser client (GET /client/flinks-pay-checkout.js) in headless Chromium, on a shop
 * of its own origin with a strict CSP (scripts from itself and the service only), against the
 * embedded sandbox. The shop's integration is the documented five lines (test/browser/merchant.ts).
 */

const PAYMENT_REQUESTS = 'paymentrequest';
/** A property of the page's focused element (tests type-check without the DOM library, so as a string). */
const focused = (page: Page, property: 'tagName' | 'textContent' | 'id') => page.evaluate<string | null>(`document.activeElement?.${property} ?? null`);

const isStatusRead = (request: Request) => /^\/checkout\/[^/]+$/.test(new URL(request.url()).pathname);

/**
 * A refusal as a proxy, a CDN or a busy service would answer it, from a route of the page: with a
 * Retry-After that CORS lets the shop's page read.
 */
const busyAnswer = (status: 429 | 503, retryAfter: string, origin: string) => ({
  status,
  contentType: 'application/problem+json',
  headers: { 'retry-after': retryAfter, 'access-control-allow-origin': origin, 'access-control-expose-headers': 'retry-after' },
  body: JSON.stringify({ type: 'about:blank', title: status === 429 ? 'Too Many Requests' : 'Service Unavailable', status, detail: 'Busy, come back later.' }),
});

/** The requestId of the checkout the page's next POST /checkout makes. */
const nextRequestId = (page: Page): Promise<string> => nextCheckout(page).then((created) => created.requestId);

t.test('browser client', async (t) => {
  const browser = await launchBrowser(t);
  const merchant = await startMerchant(t);
  // An approval stays Accepted for 1.5 s (then Processed, then Settled): the stream (100 ms polls) sees it.
  const service = await startServiceFor(t, merchant, { SANDBOX_STEP_MS: '1500' });

  t.test('approving in the popup resolves paid as soon as the server reads a paid status', async (t) => {
    await withPage(t, browser, 'client-popup-paid', async ({ page, pageErrors, cspViolations }) => {
      const paths: string[] = [];
      page.on('request', (request) => paths.push(`${request.method()} ${new URL(request.url()).pathname}`));
      await page.goto(merchant.url);
      const app = await payInPopup(page);
      await decide(app, '#approve');
      const { kind, value } = await settled(page);
      t.equal(kind, 'paid');
      t.match(value, { paid: true, final: false, requestId: String, referenceId: String });
      t.match(value.status, /^(Accepted|Processed)$/, 'resolved before Settled: the funds are guaranteed from Accepted');
      t.same(
        Object.keys(value)
          .filter((key) => !['name', 'message'].includes(key))
          .sort(),
        ['final', 'paid', 'referenceId', 'requestId', 'status'],
      );
      if (!app.isClosed()) await app.waitForEvent('close');
      t.pass('the popup is put away');
      const events = await listed(page, '#events');
      // SUCCESS may come after the status that settles the payment (which then stops listening).
      t.ok(events.includes('APP_MOUNTED') && events.includes('INSTITUTION_SELECTED'), `app events reached onEvent: ${events.join(', ')}`);
      t.ok(
        paths.some((path) => /^GET \/checkout\/[^/]+\/events$/.test(path)),
        'followed the event stream',
      );
      const reads = paths.filter((path) => /^GET \/checkout\/[^/]+$/.test(path)).length;
      t.ok(reads <= 1, `no polling while the stream works: at most the one read the app's SUCCESS asks for (${reads})`);
      t.equal(service.control.count(PAYMENT_REQUESTS), 1);
      t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations under the strict CSP');
    });
  });

  t.test('with signing on, a signed intent pays (its amount and referenceId) and a bare amount is refused', async (t) => {
    const signedShop = await startMerchant(t);
    const signed = await startServiceFor(t, signedShop, SIGNED_ENV);
    await withPage(t, browser, 'client-signed-intent', async ({ page, pageErrors, cspViolations }) => {
      const posts = checkoutPostsOf(page);
      const intent = hs256(claims({ amount: '12.34', referenceId: 'order-signed-1' }));
      await page.goto(`${signedShop.url}?intent=${intent}`);
      const app = await payInPopup(page);
      await app.waitForSelector('#approve:enabled');
      t.match(await app.textContent('#amount'), /\$12\.34/, 'the signed amount is what the shopper is asked to pay');
      await decide(app, '#approve');
      const { kind, value } = await settled(page);
      t.equal(kind, 'paid');
      t.equal(value.referenceId, 'order-signed-1', "the intent's referenceId");
      t.same(Object.keys(posts[0]?.postDataJSON() as object).sort(), ['customer', 'intent']);
      t.same([...pageErrors, ...cspViolations], []);
    });
    await withPage(t, browser, 'client-signed-bare-amount', async ({ page }) => {
      await page.goto(signedShop.url);
      await page.click('#pay');
      const { kind, value } = await settled(page);
      t.equal(kind, 'rejected');
      t.match(value, { name: 'CheckoutRefusedError', status: 400 });
      t.equal(signed.control.count(PAYMENT_REQUESTS), 1, 'only the signed checkout reached Flinks');
    });
  });

  t.test("the shop's strict CSP allows its own scripts and the service's origin only", (t) => {
    t.match(merchant.csp(), new RegExp(`(^|; )script-src 'self' ${service.url}(;|$)`));
    t.match(merchant.csp(), /default-src 'none'/);
    t.match(merchant.csp(), /style-src 'self'(;|$)/, 'no inline styles either: the overlay styles through the CSSOM');
    t.end();
  });

  t.test('a blocked popup falls back to an accessible iframe overlay', async (t) => {
    // What a popup blocker does: window.open answers null.
    const blockPopups = (page: Page) => page.addInitScript({ content: 'window.open = () => null;' });
    await withPage(
      t,
      browser,
      'client-iframe-paid',
      async ({ page, pageErrors, cspViolations }) => {
        await page.goto(merchant.url);
        await page.focus('#pay');
        await page.keyboard.press('Enter');
        const dialog = page.getByRole('dialog', { name: 'Pay with Interac e-Transfer (Flinks Pay)' });
        await dialog.waitFor();
        t.equal(await dialog.getAttribute('aria-modal'), 'true');
        t.same(page.context().pages().length, 1, 'no popup');
        const frame = await page
          .locator('iframe[title="Flinks Pay"]')
          .elementHandle()
          .then((handle) => handle.contentFrame());
        if (!frame) throw new Error('the overlay has no frame');
        t.equal(await focused(page, 'tagName'), 'IFRAME', 'focus moves into the app');

        // Escape (outside the app's own frame) asks before leaving; focus stays inside the dialog.
        const close = page.getByRole('button', { name: 'Close the payment' });
        await close.focus();
        await page.keyboard.press('Escape');
        const ask = page.getByRole('group', { name: 'Leave this payment? It is not finished.' });
        await ask.waitFor();
        t.equal(await focused(page, 'textContent'), 'Keep paying');
        await page.keyboard.press('Tab');
        t.equal(await focused(page, 'textContent'), 'Leave');
        await page.keyboard.press('Tab');
        t.equal(await focused(page, 'textContent'), 'Keep paying', 'Tab cycles inside the dialog');
        await page.focus('#note');
        t.equal(await focused(page, 'textContent'), 'Keep paying', 'focus cannot leave the dialog');
        await page.keyboard.press('Escape');
        await ask.waitFor({ state: 'hidden' });
        t.equal(await focused(page, 'tagName'), 'IFRAME', 'Escape on the question keeps paying: back in the app');
        await close.focus();
        await page.keyboard.press('Escape');
        await ask.waitFor();
        await page.keyboard.press('Enter');
        await ask.waitFor({ state: 'hidden' });

        await decide(frame, '#approve');
        const { kind, value } = await settled(page);
        t.equal(kind, 'paid');
        t.equal(value.paid, true);
        await dialog.waitFor({ state: 'detached' });
        t.equal(await focused(page, 'id'), 'pay', 'focus returns to the button');
        t.ok((await listed(page, '#events')).includes('INSTITUTION_SELECTED'), "the frame's events are heard");
        t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations (frame-src names the service)');
      },
      blockPopups,
    );
  });

  t.test('declining rejects with the final status, and a spoofed app event changes nothing', async (t) => {
    await withPage(t, browser, 'client-popup-declined', async ({ page, pageErrors, cspViolations }) => {
      await page.goto(merchant.url);
      const app = await payInPopup(page);
      await app.waitForSelector('#approve:enabled');
      // Any window can post a message; only the app's origin (and window) counts, and never settles anything.
      await page.evaluate("window.postMessage({ step: 'SUCCESS' }, '*')");
      await decide(app, '#decline');
      const { kind, value } = await settled(page);
      t.equal(kind, 'rejected');
      t.match(value, { name: 'PaymentNotCompletedError', status: 'Declined', final: true, paid: false, requestId: String });
      const events = await listed(page, '#events');
      t.notOk(events.includes('SUCCESS'), `the page's own SUCCESS was ignored: ${events.join(', ')}`);
      t.ok(events.includes('INSTITUTION_SELECTED'), "the app's own events are still heard");
      t.same([...pageErrors, ...cspViolations], []);
    });
  });

  t.test('declining, then closing the popup at once, rejects with Declined rather than as a close', async (t) => {
    const shop = await startMerchant(t);
    // The stream polls Flinks seldom here (30 s in production): the reads after the close decide.
    const seldom = await startServiceFor(t, shop, { STATUS_POLL_INTERVAL_MS: '10000' });
    await withPage(t, browser, 'client-decline-close', async ({ page, pageErrors, cspViolations }) => {
      await page.goto(shop.url);
      const requestId = nextRequestId(page);
      const app = await payInPopup(page);
      await app.waitForSelector('#decline:enabled');
      // Read a moment before the decision (by the shop's backend, say): for 2 s the service's status
      // cache answers Processing, the first read after the close included.
      const cached = await fetch(`${seldom.url}/checkout/${await requestId}`).then((response) => response.json() as Promise<{ status: string }>);
      t.equal(cached.status, 'Processing');
      await decide(app, '#decline');
      await app.waitForSelector('#result[data-status="Declined"]');
      await app.close();
      const { kind, value } = await settled(page);
      t.equal(kind, 'rejected');
      t.match(value, { name: 'PaymentNotCompletedError', status: 'Declined', final: true, paid: false });
      t.same([...pageErrors, ...cspViolations], []);
    });
  });

  t.test('closing the popup while the checkout is still being made rejects as a close, without an overlay', async (t) => {
    await withPage(t, browser, 'client-popup-closed-early', async ({ page, pageErrors, cspViolations }) => {
      let release = (): void => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      await page.route(`${service.url}/checkout`, async (route) => {
        if (route.request().method() === 'POST') await released;
        await route.continue();
      });
      await page.goto(merchant.url);
      const popup = page.waitForEvent('popup');
      await page.click('#pay');
      const blank = await popup;
      t.equal(await blank.textContent('body'), 'Preparing your payment…', 'the popup says what it waits for');
      t.equal(await blank.title(), 'Flinks Pay');
      await blank.close();
      release();
      const { kind, value } = await settled(page);
      t.equal(kind, 'rejected');
      t.match(value, { name: 'PaymentNotCompletedError', final: false, paid: false, requestId: String });
      t.equal(await page.getByRole('dialog').count(), 0, "no overlay took the closed popup's place");
      t.same([...pageErrors, ...cspViolations], []);
    });
  });

  t.test('a browser without EventSource follows the checkout by polling, slowed down by a Retry-After', async (t) => {
    const noEventSource = (page: Page) => page.addInitScript({ content: 'delete window.EventSource;' });
    await withPage(
      t,
      browser,
      'client-no-eventsource',
      async ({ page, pageErrors, cspViolations }) => {
        await page.goto(merchant.url);
        // The first status read is rate limited, and asks for 4 s: twice the polling interval.
        const reads: number[] = [];
        let secondRead = (): void => undefined;
        const second = new Promise<void>((resolve) => (secondRead = resolve));
        await page.route(`${service.url}/checkout/*`, async (route) => {
          if (!isStatusRead(route.request())) return route.continue();
          reads.push(Date.now());
          if (reads.length === 2) secondRead();
          if (reads.length > 1) return route.continue();
          return route.fulfill(busyAnswer(429, '4', merchant.origin));
        });
        const app = await payInPopup(page);
        await second;
        const waited = (reads[1] ?? 0) - (reads[0] ?? 0);
        t.ok(waited >= 3500, `the next read waited for the Retry-After, not the 2 s interval (${waited} ms)`);
        await decide(app, '#approve');
        const { kind, value } = await settled(page);
        t.equal(kind, 'paid');
        t.match(value, { paid: true });
        t.same([...pageErrors, ...cspViolations], []);
      },
      noEventSource,
    );
  });

  t.test('cancelling (and confirming) rejects with Cancelled', async (t) => {
    await withPage(t, browser, 'client-popup-cancelled', async ({ page, pageErrors, cspViolations }) => {
      await page.goto(merchant.url);
      const popup = page.waitForEvent('popup');
      await page.click('#pay');
      await decide(await popup, '#cancel');
      const { kind, value } = await settled(page);
      t.equal(kind, 'rejected');
      t.match(value, { status: 'Cancelled', final: true, paid: false });
      // CLOSE itself may arrive after the Cancelled status settled the payment (and listening stopped).
      const events = await listed(page, '#events');
      t.match(events.join(','), /CLOSE_ATTEMPT,CANCEL_CONFIRMATION/);
      t.same([...pageErrors, ...cspViolations], []);
    });
  });

  t.test('a payment that fails at the bank rejects with Failed', async (t) => {
    await withPage(t, browser, 'client-popup-failed', async ({ page }) => {
      await page.goto(`${merchant.url}?lastName=Failed`);
      const popup = page.waitForEvent('popup');
      await page.click('#pay');
      await decide(await popup, '#approve');
      const { kind, value } = await settled(page);
      t.equal(kind, 'rejected');
      t.match(value, { status: 'Failed', final: true, paid: false });
    });
  });

  t.test('a refused checkout rejects with the problem+json body and closes the popup it opened', async (t) => {
    await withPage(t, browser, 'client-refused', async ({ page, pageErrors, cspViolations }) => {
      await page.goto(`${merchant.url}?amount=12.345`);
      const popup = page.waitForEvent('popup');
      await page.click('#pay');
      const { kind, value } = await settled(page);
      const blank = await popup;
      if (!blank.isClosed()) await blank.waitForEvent('close');
      t.equal(kind, 'rejected');
      t.match(value, { name: 'CheckoutRefusedError', status: 400, type: String, title: String, detail: String, instance: '/checkout' });
      t.match(value.errors, [{ path: 'amount' }]);
      t.equal(value.message, value.detail);
      t.same(page.context().pages().length, 1, 'the popup opened for the click was closed again');
      t.same([...pageErrors, ...cspViolations], []);
    });
  });

  t.test('a checkout that failed upstream (502) is over: paying again for the order sends a new key and pays', async (t) => {
    await withPage(t, browser, 'client-failed-then-new-key', async ({ page }) => {
      await page.goto(merchant.url);
      const keys: string[] = [];
      page.on('request', (request) => {
        if (isCheckoutPost(request)) keys.push(request.headers()['idempotency-key'] ?? '');
      });
      service.control.inject(PAYMENT_REQUESTS, { kind: 'status', status: 500 });
      const blank = page.waitForEvent('popup');
      await page.click('#pay');
      const failed = await settled(page);
      t.equal(failed.kind, 'rejected');
      t.match(failed.value, { name: 'CheckoutRefusedError', status: 502 });
      const closed = await blank;
      if (!closed.isClosed()) await closed.waitForEvent('close');
      await page.evaluate("document.querySelector('#result').removeAttribute('data-kind')");
      const popup = page.waitForEvent('popup');
      await page.click('#pay');
      await decide(await popup, '#approve');
      t.equal((await settled(page)).kind, 'paid');
      t.equal(keys.length, 2, 'two POST /checkout');
      t.not(keys[0], keys[1], 'the second with a new Idempotency-Key (the first would replay its 502)');
    });
  });

  t.test('a double click makes one checkout and one payment request upstream', async (t) => {
    await withPage(t, browser, 'client-double-click', async ({ page }) => {
      await page.goto(merchant.url);
      const posts = checkoutPostsOf(page);
      const before = service.control.count(PAYMENT_REQUESTS);
      const popup = page.waitForEvent('popup');
      await page.dblclick('#pay');
      await page.click('#pay');
      const app = await popup;
      await decide(app, '#approve');
      t.equal((await settled(page)).kind, 'paid');
      t.equal(posts.length, 1, 'one POST /checkout');
      t.equal(service.control.count(PAYMENT_REQUESTS) - before, 1, 'one payment request reached Flinks');
      if (!app.isClosed()) await app.waitForEvent('close');
      t.same(page.context().pages().length, 1, 'one popup, put away');
    });
  });

  t.test('paying for another order while one runs is refused at once, and the first order goes on', async (t) => {
    await withPage(t, browser, 'client-another-order', async ({ page }) => {
      await page.goto(merchant.url);
      const posts = checkoutPostsOf(page);
      const before = service.control.count(PAYMENT_REQUESTS);
      const app = await payInPopup(page);
      // The shop's own module instance (the same URL), paying for a cart of 1.00 instead of 49.95;
      // a promise still pending after 2 s (the first order's, handed out again) fails at once.
      const other = await page.evaluate<{ name: string; message: string; isInProgressError: boolean }>(`
        import('${service.url}/client/flinks-pay-checkout.js').then((client) => Promise.race([
          client.pay({ amount: '1.00', customer: { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' } }).then(
            () => ({ name: 'resolved', message: '', isInProgressError: false }),
            (error) => ({ name: error.name, message: error.message, isInProgressError: error instanceof client.PaymentInProgressError }),
          ),
          new Promise((resolve) => setTimeout(() => resolve({ name: 'still pending', message: '', isInProgressError: false }), 2000)),
        ]))`);
      t.match(other, { name: 'PaymentInProgressError', message: /^Another payment is under way in this tab/, isInProgressError: true });
      t.equal(page.context().pages().length, 2, 'no window opened for it');
      await decide(app, '#approve');
      const { kind } = await settled(page);
      t.equal(kind, 'paid', 'the first order pays');
      t.equal(posts.length, 1, 'no POST /checkout for the other order');
      t.match(JSON.parse(posts[0]?.postData() ?? '{}'), { amount: '49.95' }, "the one made is the first order's");
      t.equal(service.control.count(PAYMENT_REQUESTS) - before, 1);
      if (!app.isClosed()) await app.waitForEvent('close');
    });
  });

  t.test('after a reload, paying for the same order resumes the same checkout, through a busy moment of the service', async (t) => {
    await withPage(t, browser, 'client-reload-resumes', async ({ page }) => {
      await page.goto(merchant.url);
      const posts = checkoutPostsOf(page);
      const before = service.control.count(PAYMENT_REQUESTS);
      const firstPopup = page.waitForEvent('popup');
      await page.click('#pay');
      const app = await firstPopup;
      await app.waitForSelector('#approve:enabled');
      const firstUrl = app.url();
      await page.reload();
      // The service is busy for a moment: the read of the stored checkout is refused once.
      let reads = 0;
      let readAgain = (): void => undefined;
      const secondRead = new Promise<void>((resolve) => (readAgain = resolve));
      await page.route(`${service.url}/checkout/*`, async (route) => {
        if (!isStatusRead(route.request())) return route.continue();
        if (++reads === 2) readAgain();
        if (reads > 1) return route.continue();
        return route.fulfill(busyAnswer(503, '1', merchant.origin));
      });
      const readsAt = Date.now();
      await page.click('#pay');
      await secondRead;
      t.ok(Date.now() - readsAt >= 900, 'the refused read was made again after its Retry-After');
      // window.open('', 'flinks-pay') finds the popup that is still open and points it at the same checkout.
      await app.waitForURL(firstUrl);
      await decide(app, '#approve');
      const { kind, value } = await settled(page);
      t.equal(kind, 'paid');
      t.equal(posts.length, 1, 'the second click read the stored checkout instead of posting');
      t.equal(service.control.count(PAYMENT_REQUESTS) - before, 1, 'one payment request reached Flinks');
      t.equal(app.url(), firstUrl, 'the same app session');

      // Paid: the same order again in this tab resolves with that payment instead of paying twice.
      await page.reload();
      await page.click('#pay');
      const again = await settled(page);
      t.equal(again.kind, 'paid');
      t.equal(again.value.requestId, value.requestId);
      t.equal(service.control.count(PAYMENT_REQUESTS) - before, 1, 'still one payment request');
    });
  });

  t.test('paying again for an order paid in this tab resolves with that payment and opens no window', async (t) => {
    await withPage(t, browser, 'client-paid-again', async ({ page, pageErrors }) => {
      await page.goto(merchant.url);
      const app = await payInPopup(page);
      await decide(app, '#approve');
      const first = await settled(page);
      t.equal(first.kind, 'paid');
      if (!app.isClosed()) await app.waitForEvent('close');
      const before = service.control.count(PAYMENT_REQUESTS);
      // Counted in the page: a window opened and closed at once may never be seen from outside.
      await page.evaluate('(() => { const open = window.open; window.opened = 0; window.open = (...args) => (window.opened++, open.apply(window, args)); })()');
      await page.evaluate("document.querySelector('#result').removeAttribute('data-kind')");
      await page.click('#pay');
      const again = await settled(page);
      t.equal(again.kind, 'paid');
      t.equal(again.value.requestId, first.value.requestId, 'that payment');
      t.equal(await page.evaluate<number>('window.opened'), 0, 'no window opened, not even for a moment');
      t.equal(page.context().pages().length, 1);
      t.equal(service.control.count(PAYMENT_REQUESTS), before, 'no payment request upstream');
      t.same(pageErrors, []);
    });
  });

  t.test('leaving the overlay rejects as not final; paying again resumes that checkout, also after another order meanwhile', async (t) => {
    await withPage(t, browser, 'client-leave-resume', async ({ page }) => {
      const leave = async (url: string) => {
        await page.goto(url);
        await page.click('#pay');
        await page.getByRole('dialog').waitFor();
        await page.getByRole('button', { name: 'Close the payment' }).click();
        await page.getByRole('button', { name: 'Leave' }).click();
        return settled(page);
      };
      const before = service.control.count(PAYMENT_REQUESTS);
      const left = await leave(`${merchant.url}?mode=iframe`);
      t.equal(left.kind, 'rejected');
      t.match(left.value, { name: 'PaymentNotCompletedError', final: false, paid: false });
      // Another order, left too: the tab keeps an attempt per order.
      const other = await leave(`${merchant.url}?mode=iframe&amount=20.00`);
      t.equal(other.kind, 'rejected');
      t.not(other.value.requestId, left.value.requestId, 'another order, another checkout');

      await page.goto(`${merchant.url}?mode=iframe`);
      await page.click('#pay');
      const frame = await page
        .locator('iframe[title="Flinks Pay"]')
        .elementHandle()
        .then((handle) => handle.contentFrame());
      if (!frame) throw new Error('no frame');
      await decide(frame, '#approve');
      const paid = await settled(page);
      t.equal(paid.kind, 'paid');
      t.equal(paid.value.requestId, left.value.requestId, 'the first order resumed its own checkout');
      t.equal(service.control.count(PAYMENT_REQUESTS) - before, 2, 'one payment request per order reached Flinks');
    });
  });

  t.test('a shop callback that throws neither stops the payment nor leaves the app open', async (t) => {
    await withPage(t, browser, 'client-throwing-callbacks', async ({ page, pageErrors }) => {
      await page.goto(`${merchant.url}?throwing`);
      const app = await payInPopup(page);
      await decide(app, '#approve');
      const { kind } = await settled(page);
      t.equal(kind, 'paid', 'paid, although onCheckout and every onStatus threw');
      if (!app.isClosed()) await app.waitForEvent('close');
      t.pass('the popup is put away');
      t.ok(
        pageErrors.some((error) => error.includes('a bug in the shop: onCheckout')),
        'the error is reported as uncaught',
      );
    });
  });

  t.test('network drop: a lost answer is retried with the same key, a dropped stream is made up by polling', async (t) => {
    await withPage(t, browser, 'client-network-drop', async ({ page, pageErrors }) => {
      await page.goto(merchant.url);
      const keys: string[] = [];
      let isFirst = true;
      // The first POST reaches the service (a checkout is made), but its answer is lost on the way back.
      await page.route(`${service.url}/checkout`, async (route) => {
        keys.push((await route.request().headerValue('idempotency-key')) ?? '');
        if (!isFirst) return route.continue();
        isFirst = false;
        await route.fetch();
        await route.abort('connectionreset');
      });
      const before = service.control.count(PAYMENT_REQUESTS);
      const app = await payInPopup(page);
      await app.waitForSelector('#approve:enabled');
      t.equal(keys.length, 2, 'POST /checkout was sent again');
      t.equal(keys[0], keys[1], 'with the same Idempotency-Key');
      t.match(keys[0], /^[0-9a-f-]{36}$/);
      t.equal(service.control.count(PAYMENT_REQUESTS) - before, 1, 'the service replayed its first checkout: one payment request');

      // Now the shop's network drops (the popup's does not): the stream breaks, reads fail.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      const offline = { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 };
      await cdp.send('Network.emulateNetworkConditions', offline);
      // Emulation fails new requests only: the open event stream is cut at the service.
      service.app.server.closeAllConnections();
      const statusReads: string[] = [];
      page.on('request', (request) => {
        if (/\/checkout\/[^/]+$/.test(new URL(request.url()).pathname)) statusReads.push(request.url());
      });
      await decide(app, '#approve');
      await page.waitForTimeout(1500);
      t.equal(await page.locator('#result[data-kind]').count(), 0, 'nothing settles while the shop is offline');
      await cdp.send('Network.emulateNetworkConditions', { ...offline, offline: false });
      const { kind } = await settled(page);
      t.equal(kind, 'paid');
      t.ok(statusReads.length > 0, 'the outcome came from a status read');
      t.same(pageErrors, []);
    });
  });

  t.test('a 503 whose Retry-After is an HTTP date is waited out, then sent again with the same key', async (t) => {
    await withPage(t, browser, 'client-retry-after-date', async ({ page, pageErrors }) => {
      await page.goto(merchant.url);
      const posts: { key: string; at: number }[] = [];
      // A CDN in front of the service sheds load, with a date as RFC 9110 allows (readable: CORS exposes it).
      await page.route(`${service.url}/checkout`, async (route) => {
        posts.push({ key: (await route.request().headerValue('idempotency-key')) ?? '', at: Date.now() });
        if (posts.length > 1) return route.continue();
        return route.fulfill(busyAnswer(503, new Date(Date.now() + 3000).toUTCString(), merchant.origin));
      });
      const before = service.control.count(PAYMENT_REQUESTS);
      const app = await payInPopup(page);
      await app.waitForURL(/\/sandbox\/app\//);
      t.equal(posts.length, 2, 'POST /checkout was sent again');
      t.equal(posts[0]?.key, posts[1]?.key, 'with the same Idempotency-Key');
      const waited = (posts[1]?.at ?? 0) - (posts[0]?.at ?? 0);
      // The date has whole seconds: 2 to 3 s after the first answer.
      t.ok(waited >= 1500, `waited until the date (${waited} ms)`);
      await decide(app, '#approve');
      t.equal((await settled(page)).kind, 'paid');
      t.equal(service.control.count(PAYMENT_REQUESTS) - before, 1, 'one payment request reached Flinks');
      t.same(pageErrors, []);
    });
  });

  t.test('behind a proxy that buffers the event stream', async (t) => {
    const shop = await startMerchant(t);
    // Accepted at the approval, Processed 8 s later, Settled 16 s later: when the buffered stream ends.
    const slow = await startServiceFor(t, shop, { SANDBOX_STEP_MS: '8000' });
    shop.useService(await startBufferingProxy(t, slow.url));

    t.test("an approval resolves paid at once, not at settlement (the app's SUCCESS asks for a read)", async (t) => {
      await withPage(t, browser, 'client-buffered-approve', async ({ page, pageErrors, cspViolations }) => {
        await page.goto(shop.url);
        const popup = page.waitForEvent('popup');
        await page.click('#pay');
        await decide(await popup, '#approve');
        const approvedAt = Date.now();
        // Waited for past settlement, so that a client that settles only then fails on the time it took.
        await page.locator('#result[data-kind]').waitFor({ timeout: 30_000 });
        const waited = Date.now() - approvedAt;
        const { kind, value } = await settled(page);
        t.equal(kind, 'paid');
        t.equal(value.status, 'Accepted');
        t.ok(waited < 8000, `settled ${waited} ms after the approval, before even Processed`);
        t.same([...pageErrors, ...cspViolations], []);
      });
    });

    t.test('a stream that stays silent gives way to polling within seconds', async (t) => {
      await withPage(t, browser, 'client-buffered-silent', async ({ page, pageErrors, cspViolations }) => {
        const statusReads: string[] = [];
        page.on('request', (request) => {
          if (isStatusRead(request)) statusReads.push(request.url());
        });
        await page.goto(shop.url);
        const requestId = nextRequestId(page);
        const popup = page.waitForEvent('popup');
        await page.click('#pay');
        await (await popup).waitForSelector('#approve:enabled');
        // Approved at the bank with no word from the app (no SUCCESS): only a status read can tell.
        t.ok(slow.control.setStatus(await requestId, 'Accepted'));
        const { kind, value } = await settled(page);
        t.equal(kind, 'paid');
        t.equal(value.status, 'Accepted');
        t.ok(statusReads.length > 0, 'by polling GET /checkout/{id}');
        t.same([...pageErrors, ...cspViolations], []);
      });
    });
  });
});
