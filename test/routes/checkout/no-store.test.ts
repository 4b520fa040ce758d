import { request } from 'undici';
import t from 'tap';
import { postCheckout, setUp, validCheckout } from '../../support/build.js';

t.test('the 201 of POST /checkout and its errors carry Cache-Control: no-store', async (t) => {
  const { app } = await setUp(t, { RATE_LIMIT_MAX: '2' });
  const created = await postCheckout(app, validCheckout());
  t.equal(created.statusCode, 201);
  t.equal(created.headers['cache-control'], 'no-store');
  const invalid = await postCheckout(app, validCheckout({ amount: 'ten' }));
  t.equal(invalid.statusCode, 400);
  t.equal(invalid.headers['cache-control'], 'no-store');
  const limited = await postCheckout(app, validCheckout());
  t.equal(limited.statusCode, 429);
  t.equal(limited.headers['cache-control'], 'no-store');
});

t.test('status reads and their errors carry Cache-Control: no-store', async (t) => {
  const { app } = await setUp(t);
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  const status = await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  t.equal(status.statusCode, 200);
  t.equal(status.headers['cache-control'], 'no-store');
  for (const url of ['/checkout/00000000-0000-4000-8000-000000000000', '/checkout/not_an_id']) {
    const res = await app.inject({ method: 'GET', url });
    t.ok(res.statusCode >= 400, url);
    t.equal(res.headers['cache-control'], 'no-store', url);
  }
});

t.test('event streams and their errors carry Cache-Control: no-store', async (t) => {
  const { app } = await setUp(t);
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const stream = await request(`${base}/checkout/${requestId}/events`, { headers: { accept: 'text/event-stream' } });
  t.equal(stream.statusCode, 200);
  t.match(stream.headers['content-type'], /^text\/event-stream/);
  t.equal(stream.headers['cache-control'], 'no-store');
  stream.body.destroy();
  const refused = await app.inject({ method: 'GET', url: `/checkout/${requestId}/events`, headers: { accept: 'application/json' } });
  t.equal(refused.statusCode, 406);
  t.equal(refused.headers['cache-control'], 'no-store');
});
