import t from 'tap';
import { postCheckout, setUp, validCheckout } from '../support/build.js';

t.test('concurrent reads of one checkout share one upstream call; repeats are served from the cache', async (t) => {
  const { app, control } = await setUp(t, { STATUS_CACHE_MS: '5000' });
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  control.reset();
  const reads = await Promise.all(Array.from({ length: 50 }, () => app.inject({ method: 'GET', url: `/checkout/${requestId}` })));
  t.same(new Set(reads.map((res) => res.statusCode)), new Set([200]));
  t.equal(control.count('status'), 1, 'fifty readers, one upstream read');
  for (let i = 0; i < 10; i++) await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  t.equal(control.count('status'), 1, 'repeated polls within STATUS_CACHE_MS cost nothing upstream');
});

t.test('a cached status expires after STATUS_CACHE_MS', async (t) => {
  let clock = Date.now();
  const { app, control } = await setUp(t, { STATUS_CACHE_MS: '100' }, { now: () => clock });
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  const statusNow = async () => (await app.inject({ method: 'GET', url: `/checkout/${requestId}` })).json<{ status: string }>().status;
  const first = await statusNow();
  t.not(first, 'Processing');
  control.setStatus(requestId, 'Processing');
  clock += 99;
  t.equal(await statusNow(), first, 'still the cached status just before STATUS_CACHE_MS');
  clock += 2;
  t.equal(await statusNow(), 'Processing', 'read again from Flinks once STATUS_CACHE_MS has passed');
});
