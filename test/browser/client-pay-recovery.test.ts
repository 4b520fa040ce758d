import type { Page, Request, Route } from 'playwright-core';
import t from 'tap';
import { launchBrowser, withPage } from './harness.js';
import { checkoutPostsOf, decide, isCheckoutPost, nextCheckout, payInPopup, settled, startMerchant, startServiceFor } from './merchant.js';

/*
 * The drop-in browser client when something between the shop and the service goes wrong: a proxy's
 * or a CDN's own error pages, a slow checkout, site data blocked, a navigation the shopper cancels,
 * a return that left the payment undecided. Headless Chromium with the back/forward cache on, the
 * shop of test/browser/merchant.ts, the embedded sandbox.
 */

const PAYMENT_REQUESTS = 'paymentrequest';

const isStatusRead = (request: Request) => /^\/checkout\/[^/]+$/.test(new URL(request.url()).pathname);

/** An error page of a proxy or a CDN in front of the service (not its problem+json), readable by the shop (CORS). */
const proxyPage = (route: Route, status: number, origin: string) =>
  route.fulfill({ status, contentType: 'text/html', headers: { 'access-control-allow-origin': origin }, body: `<html><body><h1>${status}</h1></body></html>` });

/** Clears what the shop's page shows, so that the next settlement can be waited for. */
const clearResult = (page: Page) => page.evaluate("document.querySelector('#result').removeAttribute('data-kind')");

/** The launchUrl of the checkout the page's next POST /checkout makes. */
const nextLaunchUrl = (page: Page): Promise<string> => nextCheckout(page).then((created) => created.launchUrl);

t.test('browser client, recovering', async (t) => {
  const browser = await launchBrowser(t, { backForwardCache: true });
  const merchant = await startMerchant(t);
  const service = await startServiceFor(t, merchant, { SANDBOX_STEP_MS: '1500' });

  t.test("a status read answered with any 5xx (a CDN's 520) is read again: polling goes on to the outcome", async (t) => {
    const noEventSource = (page: Page) => page.addInitScript({ content: 'delete window.EventSource;' });
    await withPage(
      t,
      browser,
      'client-status-520',
      async ({ page, pageErrors }) => {
        await page.goto(merchant.url);
        const answered: number[] = [];
        await page.route(`${service.url}/checkout/*`, async (route) => {
          if (!isStatusRead(route.request())) return route.continue();
          answered.push(answered.length === 0 ? 520 : 200);
          return answered.length === 1 ? proxyPage(route, 520, merchant.origin) : route.continue();
        });
        const popup = page.waitForEvent('popup');
        await page.click('#pay');
        await decide(await popup, '#approve');
        const { kind, value } = await settled(page);
        t.equal(kind, 'paid', `not refused by the 520: ${JSON.stringify(value)}`);
        t.equal(answered[0], 520, 'the first read was answered 520');
        t.same(pageErrors, []);
      },
      noEventSource,
    );
  });

  t.test("a proxy's 502 to POST /checkout keeps the key: sent again with it, and Pay again replays the checkout made", async (t) => {
    await withPage(t, browser, 'client-proxy-502', async ({ page, pageErrors }) => {
      await page.goto(merchant.url);
      const keys: string[] = [];
      // The first POST makes its checkout, but the proxy answers 502 to it and to the next four.
      await page.route(`${service.url}/checkout`, async (route) => {
        if (!isCheckoutPost(route.request())) return route.continue();
        keys.push((await route.request().headerValue('idempotency-key')) ?? '');
        if (keys.length > 5) return route.continue();
        if (keys.length === 1) await route.fetch();
        return proxyPage(route, 502, merchant.origin);
      });
      const before = service.control.count(PAYMENT_REQUESTS);
      const blank = page.waitForEvent('popup');
      await page.click('#pay');
      const refused = await settled(page);
      t.equal(refused.kind, 'rejected');
      t.match(refused.value, { name: 'CheckoutRefusedError', status: 502 });
      t.equal(keys.length, 5, 'sent five times');
      const closed = await blank;
      if (!closed.isClosed()) await closed.waitForEvent('close');

      await clearResult(page);
      const app = await payInPopup(page);
      await app.waitForURL(/\/sandbox\/app\//);
      t.same(new Set(keys).size, 1, `every POST /checkout with the same Idempotency-Key (${keys.length} in all)`);
      await decide(app, '#approve');
      t.equal((await settled(page)).kind, 'paid');
      t.equal(service.control.count(PAYMENT_REQUESTS) - before, 1, 'one payment request reached Flinks');
      t.same(pageErrors, []);
    });
  });

  t.test('a lost answer to a slow checkout is asked again through its 409s until the service replays it', async (t) => {
    await withPage(t, browser, 'client-slow-checkout-409', async ({ page, pageErrors }) => {
      await page.goto(merchant.url);
      const before = service.control.count(PAYMENT_REQUESTS);
      // Flinks takes 7 s to make the payment request: retries meanwhile are answered 409 (in flight).
      service.control.inject(PAYMENT_REQUESTS, { kind: 'delay', ms: 7000 });
      const keys: string[] = [];
      const answers: number[] = [];
      page.on('response', (response) => {
        if (isCheckoutPost(response.request())) answers.push(response.status());
      });
      await page.route(`${service.url}/checkout`, async (route) => {
        if (!isCheckoutPost(route.request())) return route.continue();
        keys.push((await route.request().headerValue('idempotency-key')) ?? '');
        if (keys.length > 1) return route.continue();
        // The first reaches the service; its answer is lost on the way back.
        void route.fetch().catch(() => undefined);
        await service.control.waitForCall(PAYMENT_REQUESTS, before + 1);
        return route.abort('connectionreset');
      });
      const app = await payInPopup(page);
      await app.waitForURL(/\/sandbox\/app\//, { timeout: 30_000 });
      const conflicts = answers.filter((status) => status === 409).length;
      t.ok(conflicts >= 5, `past five tries: ${conflicts} answers 409, then the replay`);
      t.same(new Set(keys).size, 1, 'all with the same Idempotency-Key');
      t.equal(service.control.count(PAYMENT_REQUESTS) - before, 1, 'one payment request reached Flinks');
      await decide(app, '#approve');
      t.equal((await settled(page)).kind, 'paid');
      t.same(pageErrors, []);
    });
  });

  t.test('with site data blocked (sessionStorage throws), an order paid in the page is not paid again', async (t) => {
    const blockStorage = (page: Page) =>
      page.addInitScript({
        content: "Object.defineProperty(window, 'sessionStorage', { get() { throw new DOMException('The operation is insecure.', 'SecurityError'); } });",
      });
    await withPage(
      t,
      browser,
      'client-storage-blocked',
      async ({ page, pageErrors }) => {
        await page.goto(merchant.url);
        const posts = checkoutPostsOf(page);
        const before = service.control.count(PAYMENT_REQUESTS);
        const app = await payInPopup(page);
        await decide(app, '#approve');
        const first = await settled(page);
        t.equal(first.kind, 'paid');
        if (!app.isClosed()) await app.waitForEvent('close');

        await clearResult(page);
        await page.click('#pay');
        const again = await settled(page);
        t.equal(again.kind, 'paid');
        t.equal(again.value.requestId, first.value.requestId, 'that payment');
        t.equal(posts.length, 1, 'one POST /checkout');
        t.equal(service.control.count(PAYMENT_REQUESTS) - before, 1, 'one payment request reached Flinks');
        t.same(pageErrors, []);
      },
      blockStorage,
    );
  });

  t.test('redirect mode: Stay at a beforeunload prompt of the shop settles as not final, and Pay again goes to the same checkout', async (t) => {
    await withPage(t, browser, 'client-redirect-stay', async ({ page, pageErrors }) => {
      await page.goto(`${merchant.url}?mode=redirect`);
      const posts = checkoutPostsOf(page);
      // The shop guards its page while a form is dirty, say; the shopper answers Stay.
      await page.evaluate("window.isGuarded = true; addEventListener('beforeunload', (event) => { if (window.isGuarded) event.preventDefault(); });");
      const prompts: string[] = [];
      page.on('dialog', (dialog) => {
        prompts.push(dialog.type());
        void dialog.dismiss();
      });
      const launchUrl = nextLaunchUrl(page);
      await page.click('#pay');
      const stayed = await settled(page);
      t.same(prompts, ['beforeunload'], 'the shop asked, and the shopper stayed');
      t.equal(stayed.kind, 'rejected');
      t.match(stayed.value, { name: 'PaymentNotCompletedError', final: false, paid: false, requestId: String });

      await page.evaluate('window.isGuarded = false');
      await clearResult(page);
      await page.click('#pay');
      await page.waitForURL(/\/sandbox\/app\//);
      t.equal(page.url(), await launchUrl, 'a later click works: the tab goes to the same checkout');
      t.equal(posts.length, 1, 'one POST /checkout');
      t.same(pageErrors, []);
    });
  });

  t.test('redirect mode: a tab slow to leave settles as a stay, and a page loaded on the way back still hears the payment', async (t) => {
    await withPage(t, browser, 'client-redirect-slow', async ({ page, pageErrors }) => {
      await page.goto(`${merchant.url}?mode=redirect`);
      // The app takes 12 s to answer: the tab stays on the shop past the 5 s a cancelled navigation gets, and the reads after it.
      await page.route(/\/sandbox\/app\//, async (route) => {
        if (route.request().isNavigationRequest()) await new Promise((resolve) => setTimeout(resolve, 12_000));
        await route.continue();
      });
      // Taken for a stay at 5 s: the two reads of a closed app, then pay() settles (the page's DOM
      // cannot be looked at while its navigation is pending, its requests can).
      let reads = 0;
      const twoReads = page.waitForResponse((response) => isStatusRead(response.request()) && ++reads === 2, { timeout: 15_000 });
      await page.click('#pay');
      await twoReads;
      await page.waitForURL(/\/sandbox\/app\//, { timeout: 20_000 });
      await decide(page, '#approve');
      // A link of the shop on the way back, not Back: a new page, whose resume() finds the checkout.
      await page.goto(`${merchant.url}?mode=redirect`);
      const { kind } = await settled(page);
      t.equal(kind, 'paid', 'resume() reports the payment, though pay() had settled it as a stay');
      t.same(pageErrors, []);
    });
  });

  t.test('redirect mode: back through the back/forward cache, the settled payment leaves no pageshow listener behind', async (t) => {
    // Counts the window's pageshow listeners in every page of the context.
    const countListeners = (page: Page) =>
      page.addInitScript({
        content: `(() => {
          const live = new Set();
          const { addEventListener: add, removeEventListener: remove } = EventTarget.prototype;
          EventTarget.prototype.addEventListener = function (type, listener, options) {
            if (this === window && type === 'pageshow') live.add(listener);
            return add.call(this, type, listener, options);
          };
          EventTarget.prototype.removeEventListener = function (type, listener, options) {
            if (this === window && type === 'pageshow') live.delete(listener);
            return remove.call(this, type, listener, options);
          };
          Object.defineProperty(window, 'pageshowListeners', { get: () => live.size });
        })();`,
      });
    await withPage(
      t,
      browser,
      'client-redirect-pageshow',
      async ({ page, pageErrors }) => {
        await page.goto(`${merchant.url}?mode=redirect`);
        await page.evaluate('window.pageBeforeRedirect = true');
        await page.click('#pay');
        await page.waitForURL(/\/sandbox\/app\//);
        await decide(page, '#approve');
        await page.locator('#result[data-status]').waitFor();
        await page.goBack({ waitUntil: 'commit' });
        const { kind } = await settled(page);
        t.ok(await page.evaluate<boolean>("'pageBeforeRedirect' in window"), 'the very page that called pay(), restored');
        t.equal(kind, 'paid');
        t.equal(await page.evaluate<number>('window.pageshowListeners'), 0, 'the listener went with the payment');
        t.same(pageErrors, []);
      },
      countListeners,
    );
  });

  t.test('redirect mode: resume() reports a payment left undecided once; a later page has nothing to resume, Pay again still does', async (t) => {
    await withPage(t, browser, 'client-resume-once', async ({ page, pageErrors }) => {
      await page.goto(`${merchant.url}?mode=redirect`);
      await page.click('#pay');
      await page.waitForURL(/\/sandbox\/app\//);
      const launchUrl = page.url();
      await page.locator('#approve:enabled').waitFor();
      // A link of the shop, not Back: a new page, whose resume() follows the checkout left undecided.
      await page.goto(`${merchant.url}?mode=redirect`);
      const left = await settled(page);
      t.equal(left.kind, 'rejected');
      t.match(left.value, { name: 'PaymentNotCompletedError', final: false, paid: false });

      // Another visit: resume() resolves null, where it would reject with the same old outcome.
      const reads: string[] = [];
      page.on('request', (request) => {
        if (isStatusRead(request) || /\/events$/.test(request.url())) reads.push(request.url());
      });
      await page.goto(`${merchant.url}?mode=redirect`);
      await page.waitForFunction('document.readyState === "complete"');
      await page.waitForTimeout(500);
      t.equal(await page.locator('#result[data-kind]').count(), 0, 'nothing shown');
      t.same(reads, [], 'nothing followed');

      await page.click('#pay');
      await page.waitForURL(/\/sandbox\/app\//);
      t.equal(page.url(), launchUrl, 'Pay again for the order goes to the same checkout');
      t.same(pageErrors, []);
    });
  });
});
