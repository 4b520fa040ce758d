import type { Browser, BrowserContext, Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { launchBrowser, UI_TIMEOUT_MS } from './harness.js';
import { decide, settled, startMerchant, startServiceFor } from './merchant.js';

/*
 * Phones (docs/mobile.md): a phone-sized, touch-driven headless Chromium. In the browser, the
 * client's redirect mode (no popup, no frame: the app takes the whole tab, the shopper comes back,
 * `resume()` or the restored page settles). In an app, the flow the guide prescribes for
 * ASWebAuthenticationSession and Custom Tabs: POST /checkout, open launchUrl full-screen, follow
 * the event stream, close on a final status.
 */

const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
};

async function phone(t: Test, browser: Browser, name: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(PHONE);
  t.teardown(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  t.teardown(async () => {
    if (!t.passing() && !page.isClosed()) await page.screenshot({ path: `test-output/screenshots/${name}-failure.png` }).catch(() => undefined);
  });
  return { context, page };
}

t.test('phone', async (t) => {
  const browser = await launchBrowser(t, { backForwardCache: true });
  const merchant = await startMerchant(t);
  const service = await startServiceFor(t, merchant);

  t.test('redirect mode: the app takes the tab, and back at the shop the payment settles', async (t) => {
    const { page } = await phone(t, browser, 'client-phone-redirect');
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${merchant.url}?mode=redirect`);
    await page.evaluate('window.pageBeforeRedirect = true');
    await page.tap('#pay');
    await page.waitForURL(/\/sandbox\/app\/\?sessionId=/);
    t.equal(page.context().pages().length, 1, 'no popup: the same tab');
    t.equal(await page.evaluate<number>('window.innerWidth'), 390, 'a phone-sized viewport');
    await page.screenshot({ path: 'test-output/screenshots/client-phone-app.png' });
    await decide(page, '#approve');
    await page.locator('#result[data-status]').waitFor();
    // The shopper goes back to the shop: the page restored from the back/forward cache goes on where pay() was.
    await page.goBack({ waitUntil: 'commit' });
    const { kind, value } = await settled(page);
    t.ok(await page.evaluate<boolean>("'pageBeforeRedirect' in window"), 'the very page that called pay(), restored');
    t.equal(kind, 'paid');
    t.match(value, { paid: true, requestId: String });
    t.match(value.status, /^(Accepted|Processed|Settled)$/);
    t.equal(service.control.count('paymentrequest'), 1);
    await page.screenshot({ path: 'test-output/screenshots/client-phone-paid.png' });

    // A later visit has nothing to resume.
    await page.goto(`${merchant.url}?mode=redirect`);
    await page.waitForTimeout(300);
    t.equal(await page.locator('#result[data-kind]').count(), 0, 'resume() resolves null: nothing shown');
    t.same(errors, []);
  });

  t.test('redirect mode: back before deciding rejects as not final, and paying again resumes that checkout', async (t) => {
    const { page } = await phone(t, browser, 'client-phone-back-undecided');
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/checkout') posts.push(request.url());
    });
    await page.goto(`${merchant.url}?mode=redirect`);
    await page.evaluate('window.pageBeforeRedirect = true');
    await page.tap('#pay');
    await page.waitForURL(/\/sandbox\/app\/\?sessionId=/);
    const launchUrl = page.url();
    await page.locator('#approve:enabled').waitFor();
    // Back to the shop without a decision: the restored page hears of it as a closed popup would.
    await page.goBack({ waitUntil: 'commit' });
    const left = await settled(page);
    t.ok(await page.evaluate<boolean>("'pageBeforeRedirect' in window"), 'the very page that called pay(), restored');
    t.equal(left.kind, 'rejected');
    t.match(left.value, { name: 'PaymentNotCompletedError', final: false, paid: false, requestId: String });

    await page.evaluate("document.querySelector('#result').removeAttribute('data-kind')");
    await page.tap('#pay');
    await page.waitForURL(/\/sandbox\/app\//);
    t.equal(page.url(), launchUrl, 'Pay again goes back to the same checkout');
    await decide(page, '#approve');
    await page.locator('#result[data-status]').waitFor();
    await page.goBack({ waitUntil: 'commit' });
    const paid = await settled(page);
    t.equal(paid.kind, 'paid');
    t.equal(paid.value.requestId, left.value.requestId);
    t.equal(posts.length, 1, 'one POST /checkout');
  });

  t.test('redirect mode: a page of the shop loaded anew before a decision: resume() rejects as not final', async (t) => {
    const { page } = await phone(t, browser, 'client-phone-link-undecided');
    await page.goto(`${merchant.url}?mode=redirect`);
    await page.tap('#pay');
    await page.waitForURL(/\/sandbox\/app\//);
    await page.locator('#approve:enabled').waitFor();
    // A link of the shop (not Back): a new page, whose resume() follows the checkout left undecided.
    await page.goto(`${merchant.url}?mode=redirect`);
    const { kind, value } = await settled(page);
    t.equal(kind, 'rejected');
    t.match(value, { name: 'PaymentNotCompletedError', final: false, paid: false, requestId: String });
  });

  t.test('redirect mode: a declined payment rejects on return', async (t) => {
    const { page } = await phone(t, browser, 'client-phone-declined');
    await page.goto(`${merchant.url}?mode=redirect`);
    await page.tap('#pay');
    await page.waitForURL(/\/sandbox\/app\//);
    await decide(page, '#decline');
    await page.locator('#result[data-status]').waitFor();
    // This time a link (a return URL) brings the shopper back: a new page, where resume() settles it.
    await page.goto(`${merchant.url}?mode=redirect`);
    const { kind, value } = await settled(page);
    t.equal(kind, 'rejected');
    t.match(value, { status: 'Declined', final: true, paid: false });
  });

  t.test('the native-app flow of docs/mobile.md: POST, launchUrl full-screen, event stream, close on final', async (t) => {
    const { page } = await phone(t, browser, 'client-phone-native');
    const created = await fetch(`${service.url}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({ amount: '19.99', customer: { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' } }),
    });
    t.equal(created.status, 201);
    const { requestId, launchUrl } = (await created.json()) as { requestId: string; launchUrl: string };
    // The app follows the stream (as URLSession / OkHttp would) while the browser tab shows launchUrl.
    const stream = await fetch(`${service.url}/checkout/${requestId}/events`, { headers: { accept: 'text/event-stream' } });
    t.equal(stream.status, 200);
    const statuses = readStatuses(stream);
    await page.goto(launchUrl);
    await decide(page, '#approve');
    const seen: string[] = [];
    for await (const status of statuses) {
      seen.push(status.status);
      if (status.final) break;
    }
    await page.close();
    t.equal(seen.at(-1), 'Settled', `the stream ends on the final status: ${seen.join(' → ')}`);
    t.equal(seen[0], 'Initiated', 'the stream reports the status at once, then every change');
  });
});

/** The `status` events of a Server-Sent Events response, parsed. */
async function* readStatuses(response: Response): AsyncGenerator<{ status: string; final: boolean }> {
  const decoder = new TextDecoder();
  let buffer = '';
  if (!response.body) return;
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(event)?.[1];
      if (/^event: status$/m.test(event) && data) yield JSON.parse(data) as { status: string; final: boolean };
    }
  }
}
