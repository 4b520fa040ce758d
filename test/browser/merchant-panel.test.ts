import type { Page } from 'playwright-core';
import t from 'tap';
import { launchBrowser, startService, UI_TIMEOUT_MS, withPage } from './harness.js';

/*
 * Outcome delivery seen from the demo page: the shopper approves and closes the Flinks window at
 * once, and this tab never learns the outcome by itself (its status reads and stream are cut). The
 * order still ends paid, because the sandbox's signed webhook made the BFF read the status, and
 * the BFF's signed merchant webhook told the demo's merchant backend.
 */

t.test('approve, close the popup at once: the merchant backend still marks the order paid', async (t) => {
  const browser = await launchBrowser(t);
  // A minute between polls, reconciliation minutes away: only the webhooks can be this quick.
  const baseUrl = await startService(t, { STATUS_POLL_INTERVAL_MS: '60000', RECONCILE_FIRST_DELAY_MS: '600000' });
  const cutStatusReads = (page: Page) => page.route(/\/checkout\/[^/]+(\/events)?$/, (route) => route.abort());

  await withPage(
    t,
    browser,
    'demo-merchant-backend-paid',
    async ({ page, pageErrors, cspViolations }) => {
      await page.goto(baseUrl);
      await page.waitForSelector('#merchant-panel', { state: 'visible' });
      const popupOpened = page.waitForEvent('popup');
      await page.click('#pay');
      const popup = await popupOpened;
      await popup.waitForSelector('#approve');
      const banks = await popup.locator('select#bank option').all();
      const bank = (await Promise.all(banks.map((option) => option.getAttribute('value')))).find(Boolean);
      if (bank) await popup.selectOption('select#bank', bank);
      await popup.click('#approve');
      await popup.close();

      await page.locator('#merchant-order[data-paid="true"]').waitFor({ timeout: UI_TIMEOUT_MS });
      t.match(await page.textContent('#merchant-order'), /PAID/);
      await page.locator('#merchant-order', { hasText: 'Settled' }).waitFor({ timeout: UI_TIMEOUT_MS });
      const events = await page.locator('#merchant-events li').allTextContents();
      // Statuses passed through between two reads (Accepted, Processed) may never be seen; the final one always is.
      t.ok(
        events.some((line) => /^Settled — webhook-id msg_[\w-]+_Settled$/.test(line)),
        'the Settled webhook arrived',
      );
      t.ok(await page.isHidden('#outcome'), 'the page itself never saw the outcome');
      t.same(pageErrors, [], 'no script errors');
      t.same(cspViolations, [], 'no CSP violations');
    },
    cutStatusReads,
  );
});
