import t from 'tap';
import { postCheckout, validCheckout } from '../../support/build.js';
import { MODES, opsCall, setUpOps } from './support.js';

interface Page {
  items: { requestId: string; referenceId: string; status: string; final: boolean; createdAt: string; updatedAt: string }[];
  next: string | null;
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

for (const mode of MODES) {
  t.test(`${mode}: GET /ops/checkouts pages through every checkout newest first, 50 a page, by cursor`, async (t) => {
    const { app } = await setUpOps(t, mode);
    const store = app.outcomes.store;
    // 120 checkouts, three per millisecond (ties are ordered by requestId), created out of order.
    const created: { requestId: string; at: number }[] = [];
    for (let i = 0; i < 120; i += 1) created.push({ requestId: `req-${String(i).padStart(3, '0')}`, at: T0 + Math.floor(i / 3) });
    for (const { requestId, at } of [...created].reverse()) await store.create({ requestId, referenceId: `order-${requestId}`, at });
    const expected = [...created].sort((a, b) => b.at - a.at || (a.requestId < b.requestId ? 1 : -1)).map((c) => c.requestId);

    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await opsCall(app, 'GET', `/ops/checkouts${cursor ? `?cursor=${cursor}` : ''}`);
      t.equal(res.statusCode, 200, res.statusCode === 200 ? 'a page' : res.body);
      t.equal(res.headers['cache-control'], 'no-store');
      const page = res.json<Page>();
      sizes.push(page.items.length);
      seen.push(...page.items.map((item) => item.requestId));
      cursor = page.next;
    } while (cursor !== null && sizes.length < 10);
    t.same(sizes, [50, 50, 20]);
    t.same(seen, expected, 'newest first, every checkout once');

    const first = (await opsCall(app, 'GET', '/ops/checkouts')).json<Page>().items[0];
    t.same(first, {
      requestId: 'req-119',
      referenceId: 'order-req-119',
      status: 'Initiated',
      final: false,
      createdAt: new Date(T0 + 39).toISOString(),
      updatedAt: new Date(T0 + 39).toISOString(),
    });
  });

  t.test(`${mode}: filters by referenceId and by status, alone and together`, async (t) => {
    const { app } = await setUpOps(t, mode);
    const store = app.outcomes.store;
    for (let i = 0; i < 60; i += 1) {
      const requestId = `req-${String(i).padStart(3, '0')}`;
      await store.create({ requestId, referenceId: i % 20 === 0 ? 'order-1001' : `order-${i}`, at: T0 + i });
      if (i % 2 === 0) await store.observe(requestId, { status: 'Settled', final: true, source: 'read', at: T0 + 100 + i });
    }
    const ids = async (query: string) => {
      const res = await opsCall(app, 'GET', `/ops/checkouts?${query}`);
      t.equal(res.statusCode, 200, query);
      return res.json<Page>().items.map((item) => item.requestId);
    };
    t.same(await ids('referenceId=order-1001'), ['req-040', 'req-020', 'req-000']);
    t.same(await ids('referenceId=order-1001&status=Settled'), ['req-040', 'req-020', 'req-000']);
    t.same(await ids('referenceId=order-100'), [], 'an exact order id, not a prefix of one');
    const settled = await ids('status=Settled');
    t.equal(settled.length, 30);
    t.same(settled.slice(0, 2), ['req-058', 'req-056']);
    t.same(await ids('status=Initiated&referenceId=order-1001'), []);
    const settledItem = (await opsCall(app, 'GET', '/ops/checkouts?referenceId=order-1001')).json<Page>().items[0];
    t.match(settledItem, { status: 'Settled', final: true, updatedAt: new Date(T0 + 140).toISOString() });
  });

  t.test(`${mode}: a status filter over many checkouts ends a page early with a cursor to go on from`, async (t) => {
    const { app } = await setUpOps(t, mode);
    const store = app.outcomes.store;
    // The oldest is the only Failed one, behind 1100 others: more than one page may look at.
    await store.create({ requestId: 'req-failed', referenceId: 'order-x', at: T0 });
    await store.observe('req-failed', { status: 'Failed', final: true, source: 'reconcile', at: T0 + 1 });
    for (let i = 1; i <= 1100; i += 1) await store.create({ requestId: `req-${i}`, referenceId: `order-${i}`, at: T0 + i });
    const first = (await opsCall(app, 'GET', '/ops/checkouts?status=Failed')).json<Page>();
    t.same(first.items, [], 'nothing in the first 1000 looked at');
    t.type(first.next, 'string');
    const second = (await opsCall(app, 'GET', `/ops/checkouts?status=Failed&cursor=${first.next ?? ''}`)).json<Page>();
    t.same(
      second.items.map((item) => item.requestId),
      ['req-failed'],
    );
    t.equal(second.next, null);
  });
}

t.test('a cursor this service never gave out is a 400 naming the cursor', async (t) => {
  const { app } = await setUpOps(t, 'memory');
  for (const cursor of ['bm90LWEtY3Vyc29y', Buffer.from('12.bad id!').toString('base64url'), 'has%20space']) {
    const res = await opsCall(app, 'GET', `/ops/checkouts?cursor=${cursor}`);
    t.equal(res.statusCode, 400, cursor);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.match(res.json(), { errors: [{ path: 'cursor' }] });
  }
  t.equal((await opsCall(app, 'GET', '/ops/checkouts?status=Paid')).statusCode, 400, 'an unknown status');
});

t.test('an empty filter is no filter: GET /ops/checkouts?referenceId=&status=&cursor= lists every checkout', async (t) => {
  const { app } = await setUpOps(t, 'memory');
  await postCheckout(app, validCheckout({ referenceId: 'order-1' }));
  await postCheckout(app, validCheckout({ referenceId: 'order-2' }));
  const all = (await opsCall(app, 'GET', '/ops/checkouts')).json<Page>();
  for (const query of ['referenceId=&status=&cursor=', 'referenceId=', 'status=', 'cursor=', 'referenceId=order-1&status=&cursor=']) {
    const res = await opsCall(app, 'GET', `/ops/checkouts?${query}`);
    t.equal(res.statusCode, 200, query);
    const expected = query.startsWith('referenceId=order-1') ? all.items.filter((item) => item.referenceId === 'order-1') : all.items;
    t.same(res.json<Page>(), { items: expected, next: null }, query);
  }
});

t.test('an unknown query parameter (a typo of referenceId) is a 400 naming it, never every checkout', async (t) => {
  const { app } = await setUpOps(t, 'memory');
  await postCheckout(app, validCheckout({ referenceId: 'order-1001' }));
  for (const query of ['reference=order-1001', 'referenceId=order-1001&reference=order-1001', 'referenceid=order-1001']) {
    const res = await opsCall(app, 'GET', `/ops/checkouts?${query}`);
    t.equal(res.statusCode, 400, query);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    const name = query.split('&').at(-1)?.split('=')[0] ?? '';
    t.match(res.json(), { type: /validation-failed$/, detail: new RegExp(name), errors: [{ path: name }] });
  }
});

t.test('no customer name or e-mail in any ops answer', async (t) => {
  const { app } = await setUpOps(t, 'memory');
  const customer = { firstName: 'Jeanne', lastName: 'Tremblay', email: 'jeanne.tremblay@example.com' };
  const { requestId } = (await postCheckout(app, validCheckout({ referenceId: 'order-pii', customer }))).json<{ requestId: string }>();
  await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  const bodies = [
    (await opsCall(app, 'GET', '/ops/checkouts')).body,
    (await opsCall(app, 'GET', '/ops/checkouts?referenceId=order-pii')).body,
    (await opsCall(app, 'GET', `/ops/checkouts/${requestId}`)).body,
    (await opsCall(app, 'POST', `/ops/checkouts/${requestId}/refresh`)).body,
  ];
  t.match(bodies[1], /order-pii/);
  for (const body of bodies) {
    for (const value of Object.values(customer)) t.notOk(body.toLowerCase().includes(value.toLowerCase()), `no ${value}`);
  }
  t.notOk(JSON.stringify(await app.outcomes.store.get(requestId)).includes('Tremblay'), 'nor in the record');
});
