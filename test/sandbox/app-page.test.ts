import t from 'tap';
import { formatCad } from '../../sandbox/app-html.js';
import { INSTITUTION_NAMES } from '../../sandbox/institutions.js';
import { startSandbox, type Harness } from './helpers.js';

const UNKNOWN_SESSION = '6c376ebd-1670-49e3-9148-26c1360f98d3';

/** The ids the browser tests and merchants' own tests rely on. */
const DOM_CONTRACT = ['amount', 'payee', 'bank', 'approve', 'decline', 'cancel', 'confirm-cancel', 'back', 'result', 'error'];

async function sessionWithoutPaymentRequest(sandbox: Harness): Promise<string> {
  const res = await sandbox.initiate(await sandbox.authorize());
  return (res.json as { sessionId: string }).sessionId;
}

void t.test('GET /app/ shows amount, payee, a bank picker and the three decisions', async (t) => {
  const sandbox = await startSandbox(t);
  const { sessionId } = await sandbox.checkout();
  const res = await sandbox.call('GET', `/app/?sessionId=${sessionId}`);
  t.equal(res.status, 200);
  t.match(res.contentType, /^text\/html/);
  for (const id of DOM_CONTRACT) t.match(res.text, new RegExp(`id="${id}"`), `#${id} is on the page`);
  t.match(res.text, '<dd id="amount">$250.50 CAD</dd>');
  t.match(res.text, '<dd id="payee">Flinks Pay Sandbox Merchant</dd>');
  t.match(res.text, '<select id="bank"');
  for (const [id, name] of Object.entries(INSTITUTION_NAMES)) t.match(res.text, `<option value="${id}">${name}</option>`);
  t.match(res.text, /<button id="approve" type="button"/);
  t.match(res.text, `data-decision-url="api/sessions/${sessionId}/decision"`);
  t.match(res.text, `data-start-url="api/sessions/${sessionId}/start"`);
  t.match(res.text, '<dd id="payer">Ada Lovelace</dd>', 'the one-string customerName');
  t.match(res.text, /<div id="cancel-confirmation"[^>]* hidden>/, 'the "are you sure?" panel starts hidden');
});

void t.test('amounts are shown as dollars with cents and thousands separators, in CAD', (t) => {
  t.equal(formatCad('12.34'), '$12.34 CAD');
  t.equal(formatCad('250.5'), '$250.50 CAD');
  t.equal(formatCad('7'), '$7.00 CAD');
  t.equal(formatCad('1234567.8'), '$1,234,567.80 CAD');
  t.end();
});

void t.test('the app page loads its script and style as files under a strict CSP, frameable by any merchant', async (t) => {
  const sandbox = await startSandbox(t);
  const { sessionId } = await sandbox.checkout();
  const page = await sandbox.call('GET', `/app/?sessionId=${sessionId}`);
  const csp = String(page.headers['content-security-policy']);
  t.match(csp, /default-src 'none'/);
  t.match(csp, /script-src 'self'(;|$)/, 'no inline script, no eval');
  t.match(csp, /style-src 'self'(;|$)/);
  t.match(csp, /frame-ancestors \*/);
  t.equal(page.headers['x-frame-options'], undefined);
  t.equal(page.headers['cross-origin-opener-policy'], 'unsafe-none', 'a cross-origin opener keeps its handle');
  t.equal(page.headers['cache-control'], 'no-store');
  t.notMatch(page.text, /<script>|<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son\w+=/, 'no inline script, style or handler');
  t.match(page.text, '<script type="module" src="app.js"></script>');
  t.match(page.text, '<link rel="stylesheet" href="app.css">');

  const script = await sandbox.call('GET', '/app/app.js');
  t.equal(script.status, 200);
  t.match(script.contentType, /^text\/javascript/);
  t.match(script.text, 'APP_MOUNTED');
  t.equal(script.headers['x-content-type-options'], 'nosniff');
  const style = await sandbox.call('GET', '/app/app.css');
  t.equal(style.status, 200);
  t.match(style.contentType, /^text\/css/);
});

void t.test('GET /app/ refuses a session without a payment request (400, message in #error)', async (t) => {
  const sandbox = await startSandbox(t);
  const sessionId = await sessionWithoutPaymentRequest(sandbox);
  const page = await sandbox.call('GET', `/app/?sessionId=${sessionId}`);
  t.equal(page.status, 400);
  t.match(page.contentType, /^text\/html/);
  t.match(page.text, /<p id="error" role="alert">[^<]*no payment request/);
  t.match(page.text, sessionId);
  t.notMatch(page.text, 'id="approve"', 'nothing to approve');
  t.notMatch(page.text, 'app.js', 'and no script that would post app events');
});

void t.test('GET /app/ answers 404 for an unknown session and 400 for a malformed one, message in #error', async (t) => {
  const sandbox = await startSandbox(t);
  const unknown = await sandbox.call('GET', `/app/?sessionId=${UNKNOWN_SESSION}`);
  t.equal(unknown.status, 404);
  t.match(unknown.contentType, /^text\/html/);
  t.match(unknown.text, /<p id="error" role="alert">This session does not exist/);
  const malformed = await sandbox.call('GET', '/app/?sessionId=%3Cscript%3E');
  t.equal(malformed.status, 400);
  t.match(malformed.text, /<p id="error" role="alert">[^<]*GUID/);
  t.notMatch(malformed.text, '<script>');
  t.equal((await sandbox.call('GET', '/app/')).status, 400, 'missing');
});

void t.test('GET /app/ for a request that is no longer Initiated answers 409 with its status', async (t) => {
  const sandbox = await startSandbox(t);
  const { sessionId, requestId } = await sandbox.checkout();
  sandbox.control.setStatus(requestId, 'Settled');
  const page = await sandbox.call('GET', `/app/?sessionId=${sessionId}`);
  t.equal(page.status, 409);
  t.match(page.text, /<p id="error" role="alert">This payment request is already Settled\.<\/p>/);
});

void t.test('the app page opens again while the shopper is in the flow (a reload), not once decided', async (t) => {
  const sandbox = await startSandbox(t);
  const { sessionId } = await sandbox.checkout();
  await sandbox.start(sessionId);
  t.equal((await sandbox.call('GET', `/app/?sessionId=${sessionId}`)).status, 200, 'Processing, undecided');
  await sandbox.decide(sessionId, { decision: 'approve', institution: 'flinks-capital' });
  const decided = await sandbox.call('GET', `/app/?sessionId=${sessionId}`);
  t.equal(decided.status, 409);
  t.match(decided.text, 'This payment request is already Accepted.');
});

void t.test('GET /app/ matches its path in any casing, and so do its script and style', async (t) => {
  const sandbox = await startSandbox(t);
  const { sessionId } = await sandbox.checkout();
  t.equal((await sandbox.call('GET', `/APP/?sessionId=${sessionId}`)).status, 200);
  t.equal((await sandbox.call('GET', '/App/App.js')).status, 200);
  t.equal((await sandbox.call('GET', `/app/?sessionId=${sessionId.toUpperCase()}`)).status, 200, 'a GUID in any case');
});

void t.test('HTML in customer data is escaped on the app page', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const created = await sandbox.initiate(token, { customerName: '<img src=x onerror=alert(1)>', referenceId: '"><b>' });
  const { sessionId } = created.json as { sessionId: string };
  await sandbox.call('POST', '/api/v1/paymentrequests', {
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sessionId }),
  });
  const page = await sandbox.call('GET', `/app/?sessionId=${sessionId}`);
  t.equal(page.status, 200);
  t.notMatch(page.text, '<img');
  t.notMatch(page.text, '<b>');
  t.match(page.text, '&lt;img');
  t.match(page.text, '&quot;&gt;&lt;b&gt;');
});
