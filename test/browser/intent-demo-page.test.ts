import type { Request } from 'playwright-core';
import t from 'tap';
import { launchBrowser, startService, UI_TIMEOUT_MS, withPage } from './harness.js';
import { SIGNED_ENV } from '../intents/support.js';

/* The demo page in headless Chromium with CHECKOUT_SIGNING_SECRET: it pays with an intent, not an amount. */

t.test('demo page with signing on', async (t) => {
  const browser = await launchBrowser(t);
  const baseUrl = await startService(t, SIGNED_ENV);

  t.test('Pay gets an intent from the stand-in backend, sends it instead of the amount, and ends paid', async (t) => {
    await withPage(t, browser, 'demo-signed-settled', async ({ page, pageErrors, cspViolations }) => {
      const posts: Request[] = [];
      page.on('request', (request) => {
        if (request.method() === 'POST') posts.push(request);
      });
      await page.goto(baseUrl);
      await page.fill('#amount', '12.34');
      const popup = page.waitForEvent('popup');
      await page.click('#pay');
      const app = await popup;
      await app.waitForSelector('#approve');
      t.match(await app.textContent('#amount'), /\$12\.34/, 'the signed amount is what the shopper is asked to pay');
      const bank = await app.locator('select#bank option').nth(1).getAttribute('value');
      await app.selectOption('select#bank', bank ?? '');
      await app.click('#approve');
      await page.locator('#outcome', { hasText: 'payment complete' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      t.same(posts.map((request) => new URL(request.url()).pathname).slice(0, 2), ['/demo/intent', '/checkout']);
      t.same(posts[0]?.postDataJSON(), { amount: '12.34' });
      const checkout = posts[1]?.postDataJSON() as Record<string, unknown>;
      t.same(Object.keys(checkout).sort(), ['customer', 'intent'], 'no amount in the checkout body');
      t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
    });
  });

  t.test('an amount the stand-in refuses shows its problem detail and opens nothing', async (t) => {
    await withPage(t, browser, 'demo-signed-invalid-amount', async ({ page, pageErrors, cspViolations }) => {
      await page.goto(baseUrl);
      await page.fill('#amount', '12.345');
      await page.click('#pay');
      await page.locator('#error', { hasText: 'amount' }).waitFor({ state: 'visible' });
      t.ok(await page.isEnabled('#pay'));
      t.same(page.context().pages().length, 1, 'the popup opened for the click was closed again');
      t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
    });
  });
});
