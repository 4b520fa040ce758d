import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { Agent, request, type Dispatcher } from 'undici';
import { listening, newCheckout } from '../../support/build.js';
import { until } from '../../support/net.js';

/*
 * Event streams are bounded (per client and per instance) and leave nothing behind when they
 * close: the bookkeeping is read from /metrics, as an operator would.
 */

/** The stream bookkeeping as /metrics reports it. */
async function bookkeeping(app: FastifyInstance) {
  const text = (await app.inject({ url: '/metrics' })).body;
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    streams: gauge('checkout_event_streams_open'),
    watches: gauge('checkout_status_watches'),
    listeners: gauge('checkout_status_listeners'),
  };
}

/** Opens a stream and resolves once its first status event has arrived; `hangUp` closes it as a tab would. */
async function openStream(url: string, dispatcher?: Dispatcher, headers: Record<string, string> = {}) {
  const res = await request(url, { headers: { accept: 'text/event-stream', ...headers }, ...(dispatcher ? { dispatcher } : {}) });
  if (res.statusCode === 200) {
    // Not `for await … break`: leaving that loop would destroy the body, i.e. hang up.
    const chunks = res.body[Symbol.asyncIterator]();
    let text = '';
    while (!text.includes('event: status')) {
      const next = await chunks.next();
      if (next.done === true) break;
      text += (next.value as Buffer).toString('utf8');
    }
  }
  const hangUp = () => {
    res.body.once('error', () => undefined);
    res.body.destroy();
  };
  return { res, hangUp };
}

t.test('streams that closed leave no listener, watch or slot behind', async (t) => {
  const { app, url } = await listening(t);
  const ids = [await newCheckout(app), await newCheckout(app)];
  const streams = await Promise.all(Array.from({ length: 8 }, (_, i) => openStream(`${url}/checkout/${ids[i % 2] ?? ''}/events`)));
  t.same(await bookkeeping(app), { streams: 8, watches: 2, listeners: 8 });
  for (const stream of streams) stream.hangUp();
  await until('every stream is forgotten', async () => JSON.stringify(await bookkeeping(app)) === JSON.stringify({ streams: 0, watches: 0, listeners: 0 }));
  t.pass('nothing left after the clients hung up');
});

t.test('a client that hangs up while the first status is still being read leaves nothing behind', async (t) => {
  const { app, sandbox, url } = await listening(t, { STATUS_POLL_INTERVAL_MS: '60000' });
  const requestId = await newCheckout(app);
  sandbox.control.reset();
  sandbox.control.inject('status', { kind: 'delay', ms: 300 });
  const hangingUp = new AbortController();
  const pending = request(`${url}/checkout/${requestId}/events`, { headers: { accept: 'text/event-stream' }, signal: hangingUp.signal }).catch(() => undefined);
  await sandbox.control.waitForCall('status');
  hangingUp.abort();
  await pending;
  // The read that opened the watch answers only now, after the client left.
  await until('the delayed status read has answered', async () =>
    /flinks_upstream_duration_seconds_count\{step="status",outcome="ok"\} 1/.test((await app.inject({ url: '/metrics' })).body),
  );
  await until('the stream is forgotten', async () => (await bookkeeping(app)).streams === 0);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(await bookkeeping(app), { streams: 0, watches: 0, listeners: 0 }, 'no listener kept, no watch left polling Flinks');
});

t.test('one client may hold MAX_EVENT_STREAMS_PER_CLIENT streams; one more is 429 with Retry-After', async (t) => {
  const { app, sandbox, url } = await listening(t, { MAX_EVENT_STREAMS_PER_CLIENT: '2' });
  const requestId = await newCheckout(app);
  const first = await openStream(`${url}/checkout/${requestId}/events`);
  const second = await openStream(`${url}/checkout/${requestId}/events`);
  t.equal(first.res.statusCode, 200);
  t.equal(second.res.statusCode, 200);
  const other = await newCheckout(app);
  const refused = await request(`${url}/checkout/${other}/events`, { headers: { accept: 'text/event-stream' } });
  t.equal(refused.statusCode, 429);
  t.match(refused.headers['content-type'], /^application\/problem\+json/);
  t.match(refused.headers['retry-after'], /^\d+$/);
  t.match(await refused.body.json(), { status: 429, type: /rate-limited$/, detail: /event streams/ });
  // The two open streams keep polling their own checkout; only reads of this one would be the refusal's.
  const readsOfRefused = sandbox.control.calls.filter((call) => call.step === 'status' && call.path.includes(other));
  t.equal(readsOfRefused.length, 0, 'a refused stream costs nothing upstream');

  const otherClient = new Agent({ localAddress: '127.0.0.2' });
  t.teardown(() => otherClient.close());
  const elsewhere = await openStream(`${url}/checkout/${requestId}/events`, otherClient);
  t.equal(elsewhere.res.statusCode, 200, 'another client is not affected');
  elsewhere.hangUp();

  first.hangUp();
  await until('the slot is free again', async () => (await bookkeeping(app)).streams === 1);
  const again = await openStream(`${url}/checkout/${requestId}/events`);
  t.equal(again.res.statusCode, 200, 'a closed stream gives its slot back');
  second.hangUp();
  again.hangUp();
});

t.test('an IPv6 client is one client across its /64: other addresses of its network share its stream slots', async (t) => {
  // Behind a proxy, as in production: the client address comes from X-Forwarded-For.
  const { app, url } = await listening(t, { MAX_EVENT_STREAMS_PER_CLIENT: '2', TRUST_PROXY: 'loopback' });
  const requestId = await newCheckout(app);
  const from = (address: string) => openStream(`${url}/checkout/${requestId}/events`, undefined, { 'x-forwarded-for': address });
  const streams = [await from('2001:db8:1:2::1'), await from('2001:db8:1:2::2')];
  t.same(
    streams.map((stream) => stream.res.statusCode),
    [200, 200],
  );
  const sameNetwork = await from('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
  t.equal(sameNetwork.res.statusCode, 429, 'another address of the same /64 is the same client');
  const otherNetwork = await from('2001:db8:1:3::1');
  t.equal(otherNetwork.res.statusCode, 200, 'another /64 is another client');
  for (const stream of [...streams, sameNetwork, otherNetwork]) stream.hangUp();
});

t.test('the instance holds at most MAX_EVENT_STREAMS streams; one more is 503 with Retry-After', async (t) => {
  const { app, url } = await listening(t, { MAX_EVENT_STREAMS: '2' });
  const requestId = await newCheckout(app);
  const streams = [await openStream(`${url}/checkout/${requestId}/events`), await openStream(`${url}/checkout/${requestId}/events`)];
  const otherClient = new Agent({ localAddress: '127.0.0.2' });
  t.teardown(() => otherClient.close());
  const refused = await request(`${url}/checkout/${requestId}/events`, { headers: { accept: 'text/event-stream' }, dispatcher: otherClient });
  t.equal(refused.statusCode, 503);
  t.match(refused.headers['retry-after'], /^\d+$/);
  t.match(await refused.body.json(), { status: 503, type: /overloaded$/ });
  for (const stream of streams) stream.hangUp();
});

t.test('refused and failed streams give their slot back', async (t) => {
  const { app, url } = await listening(t, { MAX_EVENT_STREAMS: '1', STATUS_NOT_FOUND_LIMIT: '100' });
  for (let i = 0; i < 3; i++) {
    const res = await request(`${url}/checkout/00000000-0000-4000-8000-00000000000${i}/events`, { headers: { accept: 'text/event-stream' } });
    t.equal(res.statusCode, 404);
    await res.body.dump();
  }
  await until('no slot is held', async () => (await bookkeeping(app)).streams === 0);
  const stream = await openStream(`${url}/checkout/${await newCheckout(app)}/events`);
  t.equal(stream.res.statusCode, 200);
  stream.hangUp();
});
