import type { Page } from 'playwright-core';
import t from 'tap';
import { launchBrowser, startService, withPage } from './harness.js';

/** A session straight from the sandbox API, without the payment request the app page needs. */
async function sessionWithoutPaymentRequest(baseUrl: string): Promise<string> {
  const api = `${baseUrl}/sandbox/api/v1`;
  const authorized = await fetch(`${api}/authorize`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('sandbox:sandbox').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const { access_token: token } = (await authorized.json()) as { access_token: string };
  const initiated = await fetch(`${api}/sessions/initiate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      amount: 10.5,
      customerName: 'Jane Doe',
      customerEmail: 'jane@example.com',
      referenceId: 'order-no-request',
    }),
  });
  const { sessionId } = (await initiated.json()) as { sessionId: string };
  return sessionId;
}

t.test('the sandbox app page refuses a session that has no payment request', async (t) => {
  const browser = await launchBrowser(t);
  const baseUrl = await startService(t);
  const sessionId = await sessionWithoutPaymentRequest(baseUrl);
  t.match(sessionId, /^[0-9a-f-]{36}$/i, 'the sandbox created a session');

  await withPage(t, browser, 'sandbox-app-no-payment-request', async ({ page, pageErrors, cspViolations }) => {
    const response = await page.goto(`${baseUrl}/sandbox/app/?sessionId=${sessionId}`);
    t.equal(response?.status(), 400);
    await page.waitForSelector('#error', { state: 'visible' });
    t.match(await page.textContent('#error'), /payment request/i, 'the error names what is missing');
    t.equal(await page.locator('#approve').count(), 0, 'nothing can be approved');
    t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
  });
});

t.test('the sandbox app from the keyboard: the "are you sure?" panel of Cancel, a missing bank, the outcome', async (t) => {
  const browser = await launchBrowser(t);
  const baseUrl = await startService(t);
  const created = await fetch(`${baseUrl}/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amount: '10.00', customer: { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' } }),
  });
  const { launchUrl } = (await created.json()) as { launchUrl: string };
  const focusedId = (page: Page) => page.evaluate<string>('document.activeElement?.id ?? ""');

  await withPage(t, browser, 'sandbox-app-cancel-keyboard', async ({ page, pageErrors, cspViolations }) => {
    await page.goto(launchUrl);
    await page.focus('#cancel:enabled');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#cancel-confirmation', { state: 'visible' });
    t.equal(await focusedId(page), 'back', 'focus moves into the question, on "No, go back"');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#cancel-confirmation', { state: 'hidden' });
    t.equal(await focusedId(page), 'cancel', 'going back returns focus to Cancel');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Shift+Tab');
    t.equal(await focusedId(page), 'confirm-cancel', 'the other answer is one Shift+Tab away');
    await page.keyboard.press('Enter');
    await page.locator('#result[data-status="Cancelled"]').waitFor();
    t.equal(await focusedId(page), 'result', 'every control disabled now, focus goes to the outcome, not the top of the page');
    t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
  });

  const second = await fetch(`${baseUrl}/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amount: '10.00', customer: { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' } }),
  });
  const next = (await second.json()) as { launchUrl: string };
  await withPage(t, browser, 'sandbox-app-no-bank', async ({ page, pageErrors, cspViolations }) => {
    await page.goto(next.launchUrl);
    await page.focus('#approve:enabled');
    await page.keyboard.press('Enter');
    await page.locator('#error', { hasText: 'Choose your bank first.' }).waitFor();
    t.equal(await focusedId(page), 'bank', 'approving without a bank sends the focus to the bank list');
    t.equal(await page.getAttribute('#bank', 'aria-invalid'), 'true');
    t.equal(await page.getAttribute('#bank', 'aria-describedby'), 'error', 'which the error describes');
    await page.selectOption('#bank', { index: 1 });
    t.equal(await page.getAttribute('#bank', 'aria-invalid'), null, 'a bank chosen, the mark goes');
    t.same([...pageErrors, ...cspViolations], [], 'no script errors or CSP violations');
  });
});
