import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Frame, Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { launchBrowser, withPage } from '../browser/harness.js';
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
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
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

const LOADED = ['APP_MOUNTED', 'APP_INITIATED', 'INSTITUTION_SELECTION'];

void t.test('app events reach a cross-origin merchant', async (t) => {
  const browser = await launchBrowser(t);
  const sandbox: Harness = await startSandbox(t);
  const serve = await startMerchant(t);
  const appUrl = async () => `${sandbox.baseUrl}/app/?sessionId=${(await sandbox.checkout()).sessionId}`;

  t.test('in an iframe: load, bank, approve → SUCCESS, and the page shows the result', async (t) => {
    const url = await appUrl();
    await withPage(t, browser, 'sandbox-app-iframe-approve', async ({ page, pageErrors }) => {
      await openMerchant(page, serve, url, 'iframe');
      const app = await appFrame(page);
      await waitForStep(page, 'INSTITUTION_SELECTION');
      await app.selectOption('#bank', 'maple-leaf-bank');
      await waitForStep(page, 'INSTITUTION_SELECTED');
      await app.click('#approve');
      await waitForStep(page, 'SUCCESS');
      t.same(await steps(page), [...LOADED, 'INSTITUTION_SELECTED', 'SUCCESS']);
      const messages = await received(page);
      t.ok(messages.every((m) => m.origin === sandbox.baseUrl), 'every event comes from the app origin');
      t.match(messages.at(-1)?.data, { step: 'SUCCESS', institution: 'Maple Leaf Bank' });
      t.match(messages.at(-2)?.data, { step: 'INSTITUTION_SELECTED', institution: 'Maple Leaf Bank' });
      t.match(await app.textContent('#result'), /approved at Maple Leaf Bank\. Status: Processing\./);
      t.equal(await app.getAttribute('#result', 'data-status'), 'Processing');
      t.ok(await app.isDisabled('#approve'), 'decided once');
      t.same(pageErrors, []);
    });
  });

  t.test('in a popup: decline → CLOSE with reason DECLINED, to the opener', async (t) => {
    const url = await appUrl();
    await withPage(t, browser, 'sandbox-app-popup-decline', async ({ page }) => {
      await openMerchant(page, serve, url, 'popup');
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
    });
  });

  t.test('in a popup: cancel without a bank → CLOSE_ATTEMPT, CANCEL_CONFIRMATION, CLOSE', async (t) => {
    const url = await appUrl();
    await withPage(t, browser, 'sandbox-app-popup-cancel', async ({ page }) => {
      await openMerchant(page, serve, url, 'popup');
      const app = await popupApp(page);
      await app.click('#cancel');
      await waitForStep(page, 'CLOSE');
      t.same(await steps(page), [...LOADED, 'CLOSE_ATTEMPT', 'CANCEL_CONFIRMATION', 'CLOSE']);
      t.same((await received(page)).at(-1)?.data, { step: 'CLOSE' });
      t.match(await app.textContent('#result'), 'Payment cancelled. Status: Cancelled.');
    });
  });

  t.test('approve without a bank asks for one and decides nothing', async (t) => {
    const { sessionId, requestId } = await sandbox.checkout();
    await withPage(t, browser, 'sandbox-app-no-bank', async ({ page }) => {
      await page.goto(`${sandbox.baseUrl}/app/?sessionId=${sessionId}`);
      await page.click('#approve');
      await page.locator('#error', { hasText: 'Choose your bank first.' }).waitFor();
      t.equal(await page.textContent('#result'), '');
      t.equal(await sandbox.statusOf(requestId), 'Initiated');
    });
  });

  t.test('a decision refused by the sandbox (already decided) is shown in #error', async (t) => {
    const { sessionId } = await sandbox.checkout();
    await withPage(t, browser, 'sandbox-app-conflict', async ({ page }) => {
      await page.goto(`${sandbox.baseUrl}/app/?sessionId=${sessionId}`);
      await page.waitForSelector('#cancel');
      await sandbox.decide(sessionId, { decision: 'cancel' });
      await page.click('#cancel');
      await page.locator('#error', { hasText: 'already Cancelled' }).waitFor();
      t.ok(await page.isDisabled('#approve'), 'nothing more can be done here');
    });
  });
});
