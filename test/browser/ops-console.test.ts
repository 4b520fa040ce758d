import t from 'tap';
import { launchBrowser, startService, withPage } from './harness.js';

const TOKEN = 'browser-ops-token-0123456789abcdefghijklmnop';

t.test('Swagger UI as the ops console: Authorize with a token, look a checkout up by referenceId', async (t) => {
  const browser = await launchBrowser(t);
  const baseUrl = await startService(t, { OPS_TOKENS: `other-token-0123456789abcdefghijklmnopqrs,${TOKEN}` });
  const created = await fetch(`${baseUrl}/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amount: '49.95', referenceId: 'order-1001', customer: { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' } }),
  });
  t.equal(created.status, 201);
  const { requestId } = (await created.json()) as { requestId: string };

  await withPage(t, browser, 'ops-console-lookup', async ({ page, pageErrors, cspViolations }) => {
    await page.goto(`${baseUrl}/docs`);
    await page.locator('.info .title', { hasText: 'Flinks Pay checkout BFF' }).waitFor();
    t.ok(await page.locator('.opblock-tag[data-tag="ops"]').isVisible(), 'the ops operations have their own group');

    await page.locator('.scheme-container button.authorize').click();
    const modal = page.locator('.dialog-ux .modal-ux');
    await modal.locator('input').first().fill(TOKEN);
    await modal.locator('button.authorize.modal-btn').click();
    await modal.locator('button.btn-done').click();

    const operation = page.locator('.opblock-get', { has: page.locator('.opblock-summary-path[data-path="/ops/checkouts"]') });
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('tr[data-param-name="referenceId"] input').fill('order-1001');
    await operation.locator('button.execute').click();

    const response = operation.locator('.live-responses-table tbody tr.response').first();
    await response.waitFor();
    t.equal((await response.locator('.response-col_status').textContent())?.trim(), '200');
    const body = (await response.locator('.response-col_description').textContent()) ?? '';
    t.match(body, requestId, 'the checkout is in the response panel');
    t.match(body, /"referenceId": "order-1001"/);
    t.notMatch(body, /Jane|jane@example\.com/, 'no customer name or e-mail');
    t.match(await operation.locator('.request-url, .curl-command').first().textContent(), /ops\/checkouts\?referenceId=order-1001/);
    t.same(pageErrors, [], 'no script errors');
    t.same(cspViolations, [], 'no Content-Security-Policy violations');
  });
});
