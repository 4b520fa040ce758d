import t from 'tap';
import { postCheckout, setUp, validCheckout } from '../support/build.js';

async function untilStatus(app: Parameters<typeof postCheckout>[0], wanted: number, headers: Record<string, string> = {}) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const res = await postCheckout(app, validCheckout(), headers);
    if (res.statusCode === wanted || Date.now() > deadline) return res;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

t.test('the circuit opens after repeated upstream failures, answers 503 at once, then probes and closes', async (t) => {
  const { app, control } = await setUp(t, { CIRCUIT_FAILURE_THRESHOLD: '3', CIRCUIT_HALF_OPEN_MS: '300' });
  control.inject('authorize', { kind: 'status', status: 500 }, 3);
  for (let i = 0; i < 3; i++) t.equal((await postCheckout(app, validCheckout())).statusCode, 502, `failure ${i + 1}`);
  control.reset();
  const open = await postCheckout(app, validCheckout());
  t.equal(open.statusCode, 503);
  t.match(open.headers['content-type'], /^application\/problem\+json/);
  t.equal(open.headers['retry-after'], '1');
  t.match(open.json(), { status: 503, detail: /paused/ });
  t.equal(control.calls.length, 0, 'nothing reaches Flinks while the circuit is open');
  const closed = await untilStatus(app, 201);
  t.equal(closed.statusCode, 201, 'after the pause one probe goes through and closes the circuit');
  t.equal((await postCheckout(app, validCheckout())).statusCode, 201);
});

t.test('a failing session call opens its own circuit, though each authorize before it succeeds; checkouts then call nobody, status reads go on', async (t) => {
  const { app, control } = await setUp(t, { CIRCUIT_FAILURE_THRESHOLD: '3', CIRCUIT_HALF_OPEN_MS: '300', STATUS_CACHE_MS: '0' });
  const created = await postCheckout(app, validCheckout());
  const { requestId } = created.json<{ requestId: string }>();
  control.inject('initiate', { kind: 'status', status: 500 }, 3);
  for (let i = 0; i < 3; i++) t.equal((await postCheckout(app, validCheckout())).statusCode, 502, `failure ${i + 1}`);
  control.reset();
  const open = await postCheckout(app, validCheckout());
  t.equal(open.statusCode, 503, 'the session circuit is open');
  t.same(control.calls, [], 'no call reaches Flinks while the session circuit is open: an authorize would be for nothing');
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, /flinks_circuit_state\{step="initiate"\} 2/);
  t.match(metrics, /flinks_circuit_state\{step="authorize"\} 0/);
  t.equal((await app.inject({ method: 'GET', url: `/checkout/${requestId}` })).statusCode, 200, 'a status read is not held up by it');
  t.equal((await untilStatus(app, 201)).statusCode, 201, 'after the pause one probe goes through and closes it');
});

t.test('while the payment request circuit is open, a checkout is refused before its authorize and session calls', async (t) => {
  const { app, control } = await setUp(t, { CIRCUIT_FAILURE_THRESHOLD: '3', CIRCUIT_HALF_OPEN_MS: '300' });
  control.inject('paymentrequest', { kind: 'status', status: 500 }, 3);
  for (let i = 0; i < 3; i++) t.equal((await postCheckout(app, validCheckout())).statusCode, 502, `failure ${i + 1}`);
  control.reset();
  const open = await postCheckout(app, validCheckout());
  t.equal(open.statusCode, 503);
  t.equal(open.headers['retry-after'], '1');
  t.match(open.json(), { status: 503, detail: /paused/ });
  t.same(control.calls, [], 'no session is opened at Flinks that no payment request could follow');

  // Once due, one checkout goes through and its payment request is the probe; the others wait,
  // those that come while it makes its session calls too (test/upstream/flinks-pay/resilience.test.ts).
  control.inject('paymentrequest', { kind: 'delay', ms: 300 });
  const probe = untilStatus(app, 201);
  await control.waitForCall('paymentrequest');
  const meanwhile = await Promise.all([1, 2, 3].map(() => postCheckout(app, validCheckout())));
  t.same(
    meanwhile.map((res) => res.statusCode),
    [503, 503, 503],
    'refused while the probe is out',
  );
  t.equal((await probe).statusCode, 201, 'the probe succeeds and closes the circuit');
  t.same(
    control.calls.map((call) => call.step),
    ['authorize', 'initiate', 'paymentrequest'],
    'the refused checkouts called nobody',
  );
  t.equal((await postCheckout(app, validCheckout())).statusCode, 201);
});

t.test('a failed probe opens the circuit again', async (t) => {
  // Every call that reaches Flinks here hangs, so the shortest upstream timeout proves as much as a longer one.
  const { app, control } = await setUp(t, { CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_HALF_OPEN_MS: '200', UPSTREAM_TIMEOUT_MS: '100' });
  control.inject('authorize', { kind: 'hang' }, 3);
  t.equal((await postCheckout(app, validCheckout())).statusCode, 504);
  t.equal((await postCheckout(app, validCheckout())).statusCode, 504);
  t.equal((await postCheckout(app, validCheckout())).statusCode, 503);
  const probe = await untilStatus(app, 504);
  t.equal(probe.statusCode, 504, 'the probe hangs too');
  t.equal((await postCheckout(app, validCheckout())).statusCode, 503, 'open again');
});

t.test('client errors (401, 404) never open the circuit', async (t) => {
  const { app, control } = await setUp(t, { CIRCUIT_FAILURE_THRESHOLD: '2' });
  for (let i = 0; i < 4; i++) {
    t.equal((await app.inject({ method: 'GET', url: `/checkout/unknown-${i}` })).statusCode, 404);
  }
  control.inject('initiate', { kind: 'status', status: 401 }, 2);
  t.equal((await postCheckout(app, validCheckout())).statusCode, 502);
  t.equal((await postCheckout(app, validCheckout())).statusCode, 502);
  t.equal((await postCheckout(app, validCheckout())).statusCode, 201);
});

t.test(
  'a JSON answer the client does not read (a status outside the nine) fails that read but never opens the circuit; a body that is not JSON does',
  async (t) => {
    const { app, control } = await setUp(t, { CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_HALF_OPEN_MS: '60000', STATUS_CACHE_MS: '0' });
    const idOf = async () => (await postCheckout(app, validCheckout())).json<{ requestId: string }>().requestId;
    const odd = await idOf();
    const other = await idOf();
    const read = async (requestId: string) => (await app.inject({ method: 'GET', url: `/checkout/${requestId}` })).statusCode;

    control.inject('status', { kind: 'status', status: 200, body: JSON.stringify({ requestId: odd, status: 'Completed' }) }, 3);
    for (let i = 0; i < 3; i++) t.equal(await read(odd), 502, `the odd answer ${i + 1} is a 502`);
    t.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /flinks_circuit_state\{step="status"\} 0/);
    t.equal(await read(other), 200, 'another checkout is still read from Flinks');

    control.inject('status', { kind: 'status', status: 200, body: '<html>maintenance</html>', contentType: 'text/html' }, 2);
    t.equal(await read(other), 502);
    t.equal(await read(other), 502);
    t.equal(await read(odd), 503, 'two answers that are not JSON open it');
  },
);

t.test('calls beyond the upstream concurrency bound and its queue are refused with 503', async (t) => {
  const { app, control } = await setUp(t, { UPSTREAM_MAX_CONCURRENCY: '1', UPSTREAM_MAX_QUEUE: '0', UPSTREAM_TIMEOUT_MS: '2000' });
  control.inject('authorize', { kind: 'delay', ms: 300 });
  const first = postCheckout(app, validCheckout());
  await control.waitForCall('authorize');
  const refused = await postCheckout(app, validCheckout());
  t.equal(refused.statusCode, 503);
  t.match(refused.json(), { detail: /waiting already/ });
  t.equal((await first).statusCode, 201);
});

t.test('under memory pressure requests are shed with 503 problem+json, /health still answers', async (t) => {
  const { app } = await setUp(t, { MAX_HEAP_USED_MB: '16', CORS_ORIGINS: 'https://shop.example' });
  await app.ready();
  const shed = await untilStatus(app, 503, { origin: 'https://shop.example' });
  t.equal(shed.statusCode, 503);
  t.match(shed.headers['content-type'], /^application\/problem\+json/);
  t.match(shed.headers['retry-after'], /^\d+$/);
  // Else the shop's script sees a network error instead of the 503 and its Retry-After.
  t.equal(shed.headers['access-control-allow-origin'], 'https://shop.example', 'readable cross-origin');
  t.match(shed.headers['access-control-expose-headers'], /retry-after/);
  const read = await app.inject({ method: 'GET', url: '/checkout/abc', headers: { origin: 'https://shop.example' } });
  t.equal(read.statusCode, 503);
  t.equal(read.headers['access-control-allow-origin'], 'https://shop.example', 'a shed status read is readable cross-origin too');
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
});
