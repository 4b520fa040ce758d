import t from 'tap';
import { launchBrowser, startService, withPage } from './harness.js';

const CHECKOUT_BODY = JSON.stringify({ amount: '49.95', customer: { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' } }, null, 2);

t.test('Swagger UI at /docs renders, and "Try it out" on POST /checkout gets a 201', async (t) => {
  const browser = await launchBrowser(t);
  const baseUrl = await startService(t);

  await withPage(t, browser, 'swagger-try-it-out', async ({ page, pageErrors, cspViolations }) => {
    await page.goto(`${baseUrl}/docs`);
    await page.locator('.info .title', { hasText: 'Flinks Pay checkout BFF' }).waitFor();
    const operation = page.locator('.opblock-post', {
      has: page.locator('.opblock-summary-path[data-path="/checkout"]'),
    });
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('textarea.body-param__text').fill(CHECKOUT_BODY);
    await operation.locator('button.execute').click();

    const response = operation.locator('.live-responses-table tbody tr.response').first();
    await response.waitFor();
    t.equal((await response.locator('.response-col_status').textContent())?.trim(), '201');
    t.match(await response.locator('.response-col_description').textContent(), /"launchUrl"/);
    t.same(pageErrors, [], 'no script errors');
    t.same(cspViolations, [], 'no Content-Security-Policy violations');
  });
});

t.test('"Try it out" on the event stream waits for its end, and the operation says so', async (t) => {
  const browser = await launchBrowser(t);
  const baseUrl = await startService(t);
  await withPage(t, browser, 'swagger-events', async ({ page, pageErrors, cspViolations }) => {
    await page.goto(`${baseUrl}/docs`);
    const operation = page.locator('.opblock-get', {
      has: page.locator('.opblock-summary-path[data-path="/checkout/{requestId}/events"]'),
    });
    await operation.locator('.opblock-summary').click();
    // A live checkout's stream stays open: Execute would show a spinner until its final status.
    t.match(await operation.locator('.opblock-description-wrapper').textContent(), /Try it out.*nothing until the stream ends.*curl -N/s);
    t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
  });
});
