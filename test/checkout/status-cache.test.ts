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
  const { app, control } = await setUp(t, { STATUS_CACHE_MS: '100' });
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  control.setStatus(requestId, 'Processing');
  const deadline = Date.now() + 3000;
  let status = '';
  while (status !== 'Processing' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    status = (await app.inject({ method: 'GET', url: `/checkout/${requestId}` })).json<{ status: string }>().status;
  }
  t.equal(status, 'Processing');
});
