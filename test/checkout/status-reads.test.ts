import t from 'tap';
import { newCheckout, setUp } from '../support/build.js';

/* Status reads cost Flinks little by default, and one client cannot make them cost more. */

t.test('by default, repeated status reads within a few seconds are answered from the cache', async (t) => {
  const { app, control } = await setUp(t);
  const requestId = await newCheckout(app);
  control.reset();
  for (let i = 0; i < 10; i++) t.equal((await app.inject({ url: `/checkout/${requestId}` })).statusCode, 200);
  t.equal(control.count('status'), 1, 'ten polls, one Flinks read');
});

t.test('STATUS_CACHE_MS=0 still turns the cache off', async (t) => {
  const { app, control } = await setUp(t, { STATUS_CACHE_MS: '0' });
  const requestId = await newCheckout(app);
  control.reset();
  for (let i = 0; i < 3; i++) await app.inject({ url: `/checkout/${requestId}` });
  t.equal(control.count('status'), 3);
});

t.test('status reads are limited per client: a polling browser never notices, a greedy client gets 429', async (t) => {
  const { app, control } = await setUp(t);
  const requestId = await newCheckout(app);
  const read = (remoteAddress = '127.0.0.1') => app.inject({ url: `/checkout/${requestId}`, remoteAddress });

  // A browser polling every 2 s makes 30 reads a minute: twenty such browsers behind one address
  // (a NAT) are all answered.
  for (let i = 0; i < 600; i++) {
    const res = await read();
    if (res.statusCode !== 200) t.fail(`read ${i + 1} answered ${res.statusCode}`);
  }
  control.reset();
  const limited = await read();
  t.equal(limited.statusCode, 429, 'the 601st read within the minute');
  t.match(limited.headers['content-type'], /^application\/problem\+json/);
  t.match(limited.headers['retry-after'], /^\d+$/);
  t.match(limited.json(), { status: 429, type: /rate-limited$/ });
  t.equal(control.calls.length, 0, 'a refused read costs nothing upstream');
  t.equal((await read('10.0.0.7')).statusCode, 200, 'other clients are unaffected');
});

t.test('STATUS_RATE_LIMIT_MAX sets the limit', async (t) => {
  const { app } = await setUp(t, { STATUS_RATE_LIMIT_MAX: '3' });
  const requestId = await newCheckout(app);
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await app.inject({ url: `/checkout/${requestId}` })).statusCode);
  t.same(statuses, [200, 200, 200, 429]);
});

t.test('once a final status was seen it is the answer: Flinks is not asked again, and a different later answer cannot take it back', async (t) => {
  const { app, control } = await setUp(t, { STATUS_CACHE_MS: '0' });
  const requestId = await newCheckout(app);
  control.setStatus(requestId, 'Settled');
  t.match((await app.inject({ url: `/checkout/${requestId}` })).json(), { status: 'Settled', final: true });
  const reads = control.count('status');

  t.ok(control.setStatus(requestId, 'Processing'), 'Flinks (a lagging replica, say) would now answer an older status');
  const again = await app.inject({ url: `/checkout/${requestId}` });
  t.equal(again.statusCode, 200);
  t.same(again.json(), { requestId, status: 'Settled', referenceId: again.json<{ referenceId: string }>().referenceId, final: true });
  t.equal(control.count('status'), reads, 'Flinks was not asked again');
});

t.test('event streams opened again and again cost Flinks no more than polling: their first status comes from the cache', async (t) => {
  const { app, control } = await setUp(t);
  const requestId = await newCheckout(app);
  control.reset();
  for (let i = 0; i < 20; i++) {
    const res = await app.inject({ method: 'HEAD', url: `/checkout/${requestId}/events`, headers: { accept: 'text/event-stream' } });
    if (res.statusCode !== 200) t.fail(`opening ${i + 1} answered ${res.statusCode}`);
  }
  t.equal((await app.inject({ url: `/checkout/${requestId}` })).statusCode, 200);
  t.equal(control.count('status'), 1, 'twenty openings and a read within the cache window, one Flinks read');
});

t.test('STATUS_RATE_LIMIT_MAX limits the streams a client opens too, counted apart from its status reads', async (t) => {
  const { app, control } = await setUp(t, { STATUS_RATE_LIMIT_MAX: '3' });
  const requestId = await newCheckout(app);
  // A final checkout's stream sends its one event and ends, so each opening is answered in full.
  control.setStatus(requestId, 'Settled');
  const open = () => app.inject({ url: `/checkout/${requestId}/events`, headers: { accept: 'text/event-stream' } });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await open()).statusCode);
  t.same(statuses, [200, 200, 200]);
  control.reset();
  const limited = await open();
  t.equal(limited.statusCode, 429, 'the fourth opening within the window');
  t.match(limited.headers['content-type'], /^application\/problem\+json/);
  t.match(limited.headers['retry-after'], /^\d+$/);
  t.match(limited.json(), { status: 429, type: /rate-limited$/ });
  t.equal(control.calls.length, 0, 'a refused opening costs nothing upstream');
  t.equal((await app.inject({ url: `/checkout/${requestId}` })).statusCode, 200, 'the client can still read the status');
});
