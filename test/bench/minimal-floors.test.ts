import t from 'tap';
import { minimalEnv } from '../../bench/peers.js';
import { fakeCounts, startBff, startFakeFlinks, type Child } from '../../bench/processes.js';

/*
 * The benchmark's two floors, the minimal BFF on node:http and the same on Fastify with zod, are
 * yardsticks: they must keep the same contract subset and make the same Flinks calls, or the ratios
 * measured against them say nothing. Both run here against the benchmark's fake Flinks.
 */

const fake = await startFakeFlinks(0);
t.teardown(() => fake.stop());

const floors: Record<'minimal' | 'fastify', Child> = {
  minimal: await startBff('bench/minimal-bff.ts', minimalEnv(fake.url, 'minimal'), { nodeArgs: ['--import', 'tsx'] }),
  fastify: await startBff('bench/minimal-fastify.ts', minimalEnv(fake.url, 'fastify'), { nodeArgs: ['--import', 'tsx'] }),
};
t.teardown(() => Promise.all(Object.values(floors).map((floor) => floor.stop())));

const customer = { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' };

async function post(floor: Child, body: string, contentType = 'application/json') {
  const res = await fetch(`${floor.url}/checkout`, { method: 'POST', headers: { 'content-type': contentType, 'x-request-id': 'floor-test-1' }, body });
  return { res, body: (await res.json()) as Record<string, unknown> };
}

for (const [name, floor] of Object.entries(floors)) {
  t.test(`${name}: a checkout makes the three Flinks calls and can be read back`, async (t) => {
    const created = await post(floor, JSON.stringify({ amount: 49.95, customer, referenceId: 'order-1' }));
    t.equal(created.res.status, 201);
    t.equal(created.res.headers.get('x-request-id'), 'floor-test-1');
    t.equal(created.res.headers.get('cache-control'), 'no-store');
    t.same(Object.keys(created.body).sort(), ['launchUrl', 'requestId']);
    t.equal(created.res.headers.get('location'), `/checkout/${String(created.body.requestId)}`);
    t.match(created.body.launchUrl, /^https:\/\/pay\.example\.com\/app\/\?sessionId=/);
    t.same(await fakeCounts(fake.url, name), { authorize: 1, initiate: 1, paymentrequest: 1, status: 0, unused: 0 });

    const read = await fetch(`${floor.url}/checkout/${String(created.body.requestId)}`);
    t.equal(read.status, 200);
    t.same(await read.json(), { requestId: created.body.requestId, status: 'Initiated', referenceId: 'order-1', final: false });
    t.equal((await fetch(`${floor.url}/checkout/not-created-here`)).status, 404);
  });

  t.test(`${name}: refuses what the contract refuses, as problem+json`, async (t) => {
    const cases: [string, string, string, number][] = [
      [
        'an amount with three decimals, as a JSON number',
        JSON.stringify({ amount: 0, customer }).replace('"amount":0', '"amount":12.345'),
        'application/json',
        400,
      ],
      [
        'an amount whose literal rounds to a valid one',
        JSON.stringify({ amount: 0, customer }).replace('"amount":0', '"amount":1.000000000000000001'),
        'application/json',
        400,
      ],
      ['an unknown field', JSON.stringify({ amount: '5', customer, tip: 1 }), 'application/json', 400],
      ['a name without a letter', JSON.stringify({ amount: '5', customer: { ...customer, firstName: ' ' } }), 'application/json', 400],
      ['a name that shows nothing (a Hangul filler)', JSON.stringify({ amount: '5', customer: { ...customer, firstName: '\u3164' } }), 'application/json', 400],
      ['a bad e-mail', JSON.stringify({ amount: '5', customer: { ...customer, email: 'jane@@example.com' } }), 'application/json', 400],
      ['a bad referenceId', JSON.stringify({ amount: '5', customer, referenceId: 'a b' }), 'application/json', 400],
      ['a body that is not JSON', '{amount', 'application/json', 400],
      ['a body that is not sent as JSON', 'amount=5', 'text/plain', 415],
      ['a body over 16 KB', JSON.stringify({ amount: '5', customer, referenceId: 'x'.repeat(17_000) }), 'application/json', 413],
    ];
    for (const [what, body, contentType, status] of cases) {
      const { res, body: problem } = await post(floor, body, contentType);
      t.equal(res.status, status, what);
      t.match(res.headers.get('content-type'), /^application\/problem\+json/, what);
      t.equal(problem.status, status, what);
    }
    t.same((await fakeCounts(fake.url, name)).initiate, 1, 'no refused checkout reached Flinks');
  });
}
