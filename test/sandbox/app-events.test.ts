import { createServer } from 'node:http';
import type { Frame, Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { launchBrowser, withPage } from '../support/chromium.js';
import { listenOnLoopback } from '../support/net.js';
import { APP_EVENTS } from '../fixtures/flinks-pay-v1.js';
import { startSandbox, type Harness } from './helpers.js';

/*
 * The app page's script in headless Chromium, opened by a merchant on another origin, in a popup
 * and in an iframe: which app events reach the merchant window, in which order, from which origin.
 */

interface Received {
  origin: string;
  data: { step?: string; [key: string]: unknown };
}

/*
 * Browser-side code as text: tsconfig has no DOM types for tests. The merchant records every
 * message it receives and opens the app in a popup when #open is clicked.
 */
const RECORDER = `
  window.received = [];
  window.addEventListener('message', (event) => window.received.push({ origin: event.origin, data: event.data }));
  document.addEventListener('click', (event) => {
    if (event.target.id === 'open') window.open(window.appUrl, 'flinks', 'width=500,height=700');
  });`;

/** Publishes a page on the merchant site; returns its URL. */
type Serve = (html: string) => string;

/**
 * A merchant site on its own port (another origin). It must be a real loopback server: a page
 * Playwright fulfils itself counts as public, and Chromium's local-network protection then blocks
 * an iframe pointing at 127.0.0.1.
 */
async function startMerchant(t: Test): Promise<Serve> {
  const pages = new Map<string, string>();
  const server = createServer((request, response) => {
    const html = pages.get(request.url ?? '');
    response.writeHead(html === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(html ?? 'not found');
  });
  const port = await listenOnLoopback(t, server);
  return (html) => {
    const path = `/shop-${pages.size}.html`;
    pages.set(path, html);
    return `http://127.0.0.1:${port}${path}`;
  };
}

async function openMerchant(page: Page, serve: Serve, appUrl: string, mode: 'iframe' | 'popup'): Promise<void> {
  const embed = mode === 'iframe' ? `<iframe id="app" src="${appUrl}" width="600" height="600"></iframe>` : '';
  await page.addInitScript({ content: `window.appUrl = ${JSON.stringify(appUrl)};${RECORDER}` });
  await page.goto(serve(`<!doctype html><button id="open">Pay</button>${embed}`));
}

const received = (page: Page): Promise<Received[]> => page.evaluate('window.received');
const steps = async (page: Page) => (await received(page)).map((message) => message.data.step);

async function waitForStep(page: Page, step: string): Promise<void> {
  await page.waitForFunction(`window.received.some((m) => m.data.step === ${JSON.stringify(step)})`);
}

async function appFrame(page: Page): Promise<Frame> {
  const handle = await page.waitForSelector('#app');
  const frame = await handle.contentFrame();
  if (!frame) throw new Error('the iframe has no frame');
  await frame.waitForSelector('#approve');
  return frame;
}

async function popupApp(page: Page): Promise<Page> {
  const popup = page.waitForEvent('popup');
  await page.click('#open');
  const app = await popup;
  await app.waitForSelector('#approve');
  return app;
}

/** Until the app has opened the session (APP_INITIATED), its controls stay disabled. */
const ready = (app: Page | Frame) => app.waitForSelector('#bank:not([disabled])');

const LOADED = ['APP_MOUNTED', 'CONFIRMATION', 'APP_INITIATED', 'INSTITUTION_SELECTION'];

void t.test('app events reach a cross-origin merchant', async (t) => {
  const browser = await launchBrowser(t);
  const sandbox: Harness = await startSandbox(t, { stepMs: 1000 });
  const serve = await startMerchant(t);
  const appUrl = (sessionId: string) => `${sandbox.baseUrl}/app/?sessionId=${sessionId}`;
  /** Every step any merchant window received in these tests. */
  const posted = new Set<string>();
  const record = async (page: Page) => {
    for (const step of await steps(page)) if (step !== undefined) posted.add(step);
  };

  t.test('in an iframe: load, bank, approve → SUCCESS, and the page shows the result', async (t) => {
    const { sessionId, requestId } = await sandbox.checkout();
    t.equal(await sandbox.statusOf(requestId), 'Initiated', 'before the shopper opens the app');
    await withPage(t, browser, 'sandbox-app-iframe-approve', async ({ page, pageErrors }) => {
      await openMerchant(page, serve, appUrl(sessionId), 'iframe');
      const app = await appFrame(page);
      await waitForStep(page, 'INSTITUTION_SELECTION');
      t.equal(await sandbox.statusOf(requestId), 'Processing', 'while the shopper is in the app');
      await app.selectOption('#bank', 'maple-leaf-bank');
      await waitForStep(page, 'INSTITUTION_SELECTED');
      await app.click('#approve');
      await waitForStep(page, 'SUCCESS');
      t.same(await steps(page), [...LOADED, 'INSTITUTION_SELECTED', 'SUCCESS']);
      const messages = await received(page);
      t.ok(
        messages.every((m) => m.origin === sandbox.baseUrl),
        'every event comes from the app origin',
      );
      t.match(messages.at(-1)?.data, { step: 'SUCCESS', institution: 'Maple Leaf Bank' });
      t.match(messages.at(-2)?.data, { step: 'INSTITUTION_SELECTED', institution: 'Maple Leaf Bank' });
      t.same(messages[0]?.data, { step: 'APP_MOUNTED' }, 'objects with a step, as Flinks Connect sends');
      t.match(await app.textContent('#result'), /approved at Maple Leaf Bank\. Status: Accepted\./);
      t.equal(await app.getAttribute('#result', 'data-status'), 'Accepted');
      t.ok(await app.isDisabled('#approve'), 'decided once');
      t.same(pageErrors, []);
      await record(page);
    });
  });

  t.test('in a popup: decline → CLOSE with reason DECLINED, to the opener', async (t) => {
    const { sessionId } = await sandbox.checkout();
    await withPage(t, browser, 'sandbox-app-popup-decline', async ({ page }) => {
      await openMerchant(page, serve, appUrl(sessionId), 'popup');
      const app = await popupApp(page);
      const appErrors: string[] = [];
      app.on('pageerror', (error) => appErrors.push(error.message));
      await app.selectOption('#bank', 'flinks-capital');
      await app.click('#decline');
      await waitForStep(page, 'CLOSE');
      t.same(await steps(page), [...LOADED, 'INSTITUTION_SELECTED', 'CLOSE']);
      t.match((await received(page)).at(-1)?.data, { step: 'CLOSE', reason: 'DECLINED' });
      t.equal(await app.getAttribute('#result', 'data-status'), 'Declined');
      t.same(appErrors, []);
      await record(page);
    });
  });

  t.test('in a popup: cancel without a bank → CLOSE_ATTEMPT, CANCEL_CONFIRMATION, CLOSE', async (t) => {
    const { sessionId, requestId } = await sandbox.checkout();
    await withPage(t, browser, 'sandbox-app-popup-cancel', async ({ page }) => {
      await openMerchant(page, serve, appUrl(sessionId), 'popup');
      const app = await popupApp(page);
      await ready(app);
      await app.click('#cancel');
      await waitForStep(page, 'CANCEL_CONFIRMATION');
      t.ok(await app.isVisible('#cancel-confirmation'), 'the "are you sure?" panel is shown');
      t.equal(await sandbox.statusOf(requestId), 'Processing', 'nothing is cancelled before the shopper confirms');
      await app.click('#confirm-cancel');
      await waitForStep(page, 'CLOSE');
      t.same(await steps(page), [...LOADED, 'CLOSE_ATTEMPT', 'CANCEL_CONFIRMATION', 'CLOSE']);
      t.same((await received(page)).at(-1)?.data, { step: 'CLOSE' });
      t.match(await app.textContent('#result'), 'Payment cancelled. Status: Cancelled.');
      await record(page);
    });
  });

  t.test('going back from the "are you sure?" panel posts BACK, and the payment can still be approved', async (t) => {
    const { sessionId } = await sandbox.checkout();
    await withPage(t, browser, 'sandbox-app-back', async ({ page, pageErrors }) => {
      await openMerchant(page, serve, appUrl(sessionId), 'iframe');
      const app = await appFrame(page);
      await ready(app);
      await app.click('#cancel');
      await waitForStep(page, 'CANCEL_CONFIRMATION');
      await app.click('#back');
      await waitForStep(page, 'BACK');
      t.ok(await app.isHidden('#cancel-confirmation'));
      await app.selectOption('#bank', 'coastal-trust');
      await app.click('#approve');
      await waitForStep(page, 'SUCCESS');
      t.same(await steps(page), [...LOADED, 'CLOSE_ATTEMPT', 'CANCEL_CONFIRMATION', 'BACK', 'INSTITUTION_SELECTED', 'SUCCESS']);
      t.same(pageErrors, []);
      await record(page);
    });
  });

  t.test('an approval that will end Failed or Declined posts no SUCCESS', async (t) => {
    for (const customerName of ['Ada Failed', 'Ada Declined']) {
      const { sessionId, requestId } = await sandbox.checkout({ customerName });
      await withPage(t, browser, `sandbox-app-no-success-${customerName.split(' ')[1] ?? ''}`, async ({ page }) => {
        await openMerchant(page, serve, appUrl(sessionId), 'iframe');
        const app = await appFrame(page);
        await ready(app);
        await app.selectOption('#bank', 'flinks-capital');
        await waitForStep(page, 'INSTITUTION_SELECTED');
        await app.click('#approve');
        await app.locator('#result[data-status="Processing"]').waitFor();
        t.same(await steps(page), [...LOADED, 'INSTITUTION_SELECTED'], customerName);
        sandbox.clock.now += 1000;
        t.equal(await sandbox.statusOf(requestId), customerName.split(' ')[1], 'and the status ends so');
        t.same(await steps(page), [...LOADED, 'INSTITUTION_SELECTED'], 'nothing more is posted');
      });
    }
  });

  t.test('approve without a bank asks for one and decides nothing', async (t) => {
    const { sessionId, requestId } = await sandbox.checkout();
    await withPage(t, browser, 'sandbox-app-no-bank', async ({ page }) => {
      await page.goto(appUrl(sessionId));
      await ready(page);
      await page.click('#approve');
      await page.locator('#error', { hasText: 'Choose your bank first.' }).waitFor();
      t.equal(await page.textContent('#result'), '');
      t.equal(await sandbox.statusOf(requestId), 'Processing', 'opened, not decided');
    });
  });

  t.test('a decision refused by the sandbox (already decided) is shown in #error', async (t) => {
    const { sessionId } = await sandbox.checkout();
    await withPage(t, browser, 'sandbox-app-conflict', async ({ page }) => {
      await page.goto(appUrl(sessionId));
      await ready(page);
      await sandbox.decide(sessionId, { decision: 'cancel' });
      await page.click('#cancel');
      await page.click('#confirm-cancel');
      await page.locator('#error', { hasText: 'already Cancelled' }).waitFor();
      t.ok(await page.isDisabled('#approve'), 'nothing more can be done here');
    });
  });

  t.test('a page opened after the request was decided elsewhere posts no APP_INITIATED and enables nothing', async (t) => {
    const { sessionId } = await sandbox.checkout();
    await withPage(t, browser, 'sandbox-app-closed-on-start', async ({ page }) => {
      await page.route('**/start', async (route) => {
        await sandbox.decide(sessionId, { decision: 'cancel' });
        await route.continue();
      });
      await openMerchant(page, serve, appUrl(sessionId), 'iframe');
      const app = await appFrame(page);
      await app.locator('#error', { hasText: 'already Cancelled' }).waitFor();
      t.same(await steps(page), ['APP_MOUNTED', 'CONFIRMATION']);
      t.ok(await app.isDisabled('#bank'));
    });
  });

  t.test('together, the flows post every documented app event, as { step } objects', (t) => {
    t.same([...posted].sort(), [...APP_EVENTS].sort());
    t.end();
  });
});
