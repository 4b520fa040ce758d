import { request } from 'node:http';
import { connect } from 'node:net';
import t, { type Test } from 'tap';
import { buildTestApp, captureLogs, newCheckout, startSandbox, validCheckout } from '../../support/build.js';
import { until } from '../../support/net.js';

interface AccessLine {
  requestId: string;
  msg: string;
  res?: { statusCode: number };
  closedBeforeEnd?: boolean;
  upstream?: { step: string }[];
}

/** An app listening on a port (connections a client can close), its JSON log lines and its metrics. */
async function listeningWithLogs(t: Test, level = 'info') {
  const sandbox = await startSandbox(t);
  const logs = captureLogs();
  const app = await buildTestApp(t, sandbox, { LOG_LEVEL: level, STATUS_POLL_INTERVAL_MS: '100' }, { logStream: logs.stream });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const linesOf = (requestId: string) =>
    logs
      .lines()
      .map((line) => JSON.parse(line) as AccessLine)
      .filter((line) => line.requestId === requestId);
  const accessLines = (requestId: string) => linesOf(requestId).filter((line) => line.msg === 'request completed');
  const count = async (series: string) => {
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    return Number(new RegExp(`^http_request_duration_seconds_count\\{${series}\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
  };
  /** Waits for the access line of `requestId`: by then a second one would have come too. */
  const loggedOnce = async (requestId: string) => {
    await until(`the access line of ${requestId}`, () => accessLines(requestId).length > 0);
    await new Promise((resolve) => setImmediate(resolve));
    return accessLines(requestId);
  };
  return { sandbox, app, url, linesOf, accessLines, loggedOnce, count };
}

t.test('an event stream its client closes gets its access line and its count', async (t) => {
  const { app, url, loggedOnce, count } = await listeningWithLogs(t);
  const requestId = await newCheckout(app);
  await new Promise<void>((resolve) => {
    const stream = request(`${url}/checkout/${requestId}/events`, { headers: { 'x-request-id': 'stream-closed-by-client' } }, (res) => {
      res.once('data', () => {
        stream.destroy();
        resolve();
      });
    });
    stream.end();
  });
  t.match(await loggedOnce('stream-closed-by-client'), [{ res: { statusCode: 200 }, closedBeforeEnd: true }], 'one line');
  t.equal(await count('method="GET",route="/checkout/:requestId/events",status_code="200"'), 1);
});

t.test('an event stream its client leaves during its first status read gets its access line and its count too', async (t) => {
  const { app, sandbox, url, loggedOnce, count } = await listeningWithLogs(t);
  const requestId = await newCheckout(app);
  sandbox.control.inject('status', { kind: 'delay', ms: 300 });
  const stream = request(`${url}/checkout/${requestId}/events`, { headers: { 'x-request-id': 'stream-left-early' } });
  stream.on('error', () => undefined);
  stream.end();
  await sandbox.control.waitForCall('status');
  stream.destroy();
  t.match(await loggedOnce('stream-left-early'), [{ res: { statusCode: 200 }, closedBeforeEnd: true }], 'one line');
  t.equal(await count('method="GET",route="/checkout/:requestId/events",status_code="200"'), 1);
});

t.test('a checkout its client leaves while Flinks is called is logged with every call once it is answered', async (t) => {
  const { sandbox, url, loggedOnce, count } = await listeningWithLogs(t);
  sandbox.control.inject('initiate', { kind: 'delay', ms: 300 });
  const left = request(`${url}/checkout`, { method: 'POST', headers: { 'x-request-id': 'checkout-left', 'content-type': 'application/json' } });
  left.on('error', () => undefined);
  left.end(JSON.stringify(validCheckout()));
  await sandbox.control.waitForCall('initiate');
  left.destroy();
  t.match(await loggedOnce('checkout-left'), [
    { res: { statusCode: 201 }, closedBeforeEnd: true, upstream: [{ step: 'authorize' }, { step: 'initiate' }, { step: 'paymentrequest' }] },
  ]);
  t.equal(await count('method="POST",route="/checkout",status_code="201"'), 1);
});

t.test('an answer that reaches its client is logged and counted once, as before', async (t) => {
  const { url, loggedOnce, count } = await listeningWithLogs(t);
  const res = await fetch(`${url}/checkout`, {
    method: 'POST',
    headers: { 'x-request-id': 'checkout-answered', 'content-type': 'application/json' },
    body: JSON.stringify(validCheckout()),
  });
  t.equal(res.status, 201);
  await res.arrayBuffer();
  const lines = await loggedOnce('checkout-answered');
  t.equal(lines.length, 1);
  t.notOk(lines[0]?.closedBeforeEnd);
  t.equal(await count('method="POST",route="/checkout",status_code="201"'), 1);
});

t.test('a request whose body never arrived gets no line of an answer it never had', async (t) => {
  const { url, linesOf, loggedOnce, count } = await listeningWithLogs(t, 'debug');
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(
    'POST /checkout HTTP/1.1\r\nHost: 127.0.0.1\r\nx-request-id: body-never-came\r\n' +
      'content-type: application/json\r\ncontent-length: 100\r\n\r\n{"amount":',
  );
  await until('the request to arrive', () => linesOf('body-never-came').some((line) => line.msg === 'incoming request'));
  socket.destroy();
  // A later request, answered and logged: the phantom 400 the body parser "sends" would be there by now.
  const after = await fetch(`${url}/checkout/not-a-checkout`, { headers: { 'x-request-id': 'answered-after' } });
  await after.arrayBuffer();
  await loggedOnce('answered-after');
  t.same(
    linesOf('body-never-came').filter((line) => line.msg === 'request completed'),
    [],
    'no access line: no answer was ever given',
  );
  t.equal(await count('method="POST",route="/checkout",status_code="400"'), 0);
});
