import { request } from 'node:http';
import t, { type Test } from 'tap';
import { buildTestApp, captureLogs, newCheckout, startSandbox, validCheckout } from '../../support/build.js';

interface AccessLine {
  requestId: string;
  msg: string;
  res?: { statusCode: number };
  closedBeforeEnd?: boolean;
  upstream?: { step: string }[];
}

/** An app listening on a port (connections a client can close), its JSON log lines and its metrics. */
async function listeningWithLogs(t: Test) {
  const sandbox = await startSandbox(t);
  const logs = captureLogs();
  const app = await buildTestApp(t, sandbox, { LOG_LEVEL: 'info', STATUS_POLL_INTERVAL_MS: '100' }, { logStream: logs.stream });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const accessLines = (requestId: string) =>
    logs
      .lines()
      .map((line) => JSON.parse(line) as AccessLine)
      .filter((line) => line.requestId === requestId && line.msg === 'request completed');
  const count = async (series: string) => {
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    return Number(new RegExp(`^http_request_duration_seconds_count\\{${series}\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
  };
  return { sandbox, app, url, accessLines, count };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('an event stream its client closes gets its access line and its count', async (t) => {
  const { app, url, accessLines, count } = await listeningWithLogs(t);
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
  await settle(100);
  t.match(accessLines('stream-closed-by-client'), [{ res: { statusCode: 200 }, closedBeforeEnd: true }]);
  t.equal(accessLines('stream-closed-by-client').length, 1, 'one line');
  t.equal(await count('method="GET",route="/checkout/:requestId/events",status_code="200"'), 1);
});

t.test('a checkout its client leaves while Flinks is called is logged with every call once it is answered', async (t) => {
  const { sandbox, url, accessLines, count } = await listeningWithLogs(t);
  sandbox.control.inject('initiate', { kind: 'delay', ms: 300 });
  const left = request(`${url}/checkout`, { method: 'POST', headers: { 'x-request-id': 'checkout-left', 'content-type': 'application/json' } });
  left.on('error', () => undefined);
  left.end(JSON.stringify(validCheckout()));
  await sandbox.control.waitForCall('initiate');
  left.destroy();
  await sandbox.control.waitForCall('paymentrequest');
  await settle(200);
  t.match(accessLines('checkout-left'), [
    { res: { statusCode: 201 }, closedBeforeEnd: true, upstream: [{ step: 'authorize' }, { step: 'initiate' }, { step: 'paymentrequest' }] },
  ]);
  t.equal(await count('method="POST",route="/checkout",status_code="201"'), 1);
});

t.test('an answer that reaches its client is logged and counted once, as before', async (t) => {
  const { url, accessLines, count } = await listeningWithLogs(t);
  const res = await fetch(`${url}/checkout`, {
    method: 'POST',
    headers: { 'x-request-id': 'checkout-answered', 'content-type': 'application/json' },
    body: JSON.stringify(validCheckout()),
  });
  t.equal(res.status, 201);
  await res.arrayBuffer();
  await settle(100);
  t.equal(accessLines('checkout-answered').length, 1);
  t.notOk(accessLines('checkout-answered')[0]?.closedBeforeEnd);
  t.equal(await count('method="POST",route="/checkout",status_code="201"'), 1);
});
