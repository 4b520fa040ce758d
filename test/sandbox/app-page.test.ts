import t from 'tap';
import { startSandbox } from './helpers.js';

void t.test('GET /app/ shows the session once it has a payment request', async (t) => {
  const sandbox = await startSandbox(t);
  const { sessionId, requestId } = await sandbox.checkout();
  const res = await sandbox.call('GET', `/app/?sessionId=${sessionId}`);
  t.equal(res.status, 200);
  t.match(res.contentType, /^text\/html/);
  t.match(res.text, sessionId);
  t.match(res.text, requestId);
  t.match(res.text, 'CAD 250.5');
  t.match(res.headers['content-security-policy'], /default-src 'none'/);
});

void t.test('GET /app/ refuses a session without a payment request (400 HTML)', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await sandbox.initiate(await sandbox.authorize());
  const { sessionId } = res.json as { sessionId: string };
  const page = await sandbox.call('GET', `/app/?sessionId=${sessionId}`);
  t.equal(page.status, 400);
  t.match(page.contentType, /^text\/html/);
  t.match(page.text, sessionId);
  t.match(page.text, 'no payment request');
});

void t.test('GET /app/ answers 404 HTML for an unknown session and 400 for a malformed one', async (t) => {
  const sandbox = await startSandbox(t);
  const unknown = await sandbox.call('GET', '/app/?sessionId=6c376ebd-1670-49e3-9148-26c1360f98d3');
  t.equal(unknown.status, 404);
  t.match(unknown.contentType, /^text\/html/);
  const malformed = await sandbox.call('GET', '/app/?sessionId=%3Cscript%3E');
  t.equal(malformed.status, 400);
  t.notMatch(malformed.text, '<script>');
  t.equal((await sandbox.call('GET', '/app/')).status, 400, 'missing');
});

void t.test('HTML in customer data is escaped on the app page', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const created = await sandbox.initiate(token, { firstName: '<img src=x onerror=alert(1)>' });
  const { sessionId } = created.json as { sessionId: string };
  await sandbox.call('POST', '/api/v1/paymentrequests', {
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sessionId }),
  });
  const page = await sandbox.call('GET', `/app/?sessionId=${sessionId}`);
  t.equal(page.status, 200);
  t.notMatch(page.text, '<img');
  t.match(page.text, '&lt;img');
});
