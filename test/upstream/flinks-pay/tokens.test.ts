import FakeTimers from '@sinonjs/fake-timers';
import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import type { SandboxControl } from '../../../sandbox/control.js';
import { buildTestApp, postCheckout, setUp, startSandbox, validCheckout } from '../../support/build.js';
import { until } from '../../support/net.js';

const prefetchOn = { TOKEN_PREFETCH: 'true' };

function bearerOf(call: { headers: Record<string, string> } | undefined): string | undefined {
  return call?.headers.authorization?.replace(/^Bearer /, '');
}

/** Waits until every background authorize has answered. */
function settled(control: SandboxControl): Promise<void> {
  return until('every background authorize answered', () => !control.calls.some((call) => call.step === 'authorize' && call.statusCode === 0));
}

async function checkout(app: FastifyInstance): Promise<number> {
  return (await postCheckout(app, validCheckout())).statusCode;
}

/** A prefetching app whose first checkout has filled the token pool, with the calls so far forgotten. */
async function withFilledPool(t: Test) {
  const { app, control } = await setUp(t, prefetchOn);
  t.equal(await checkout(app), 201);
  await settled(control);
  control.reset();
  return { app, control };
}

t.test('with prefetch a checkout uses a pooled token: two round trips instead of three', async (t) => {
  const { app, control } = await setUp(t, prefetchOn);
  t.equal(await checkout(app), 201);
  await settled(control);
  t.ok(control.count('authorize') >= 2, 'the first checkout authorized for itself and refilled the pool');
  control.reset();
  // Refills started by this checkout now take 400 ms: had it waited for one, it could not finish first.
  control.inject('authorize', { kind: 'delay', ms: 400 }, 10);
  t.equal(await checkout(app), 201);
  const steps = control.calls.filter((call) => call.step !== 'authorize').map((call) => call.step);
  t.same(steps, ['initiate', 'paymentrequest']);
  const answered = control.calls.filter((call) => call.step === 'authorize' && call.statusCode !== 0);
  t.equal(answered.length, 0, 'the checkout completed before any authorize of its own time answered');
  await settled(control);
});

t.test('every token serves exactly one session, under concurrency too', async (t) => {
  const { app, control } = await setUp(t, prefetchOn);
  for (let round = 0; round < 5; round++) {
    const statuses = await Promise.all(Array.from({ length: 10 }, () => checkout(app)));
    t.same(
      statuses,
      Array.from({ length: 10 }, () => 201),
    );
  }
  const initiateTokens = control.calls.filter((call) => call.step === 'initiate').map(bearerOf);
  t.equal(initiateTokens.length, 50);
  t.equal(new Set(initiateTokens).size, 50, 'no token initiated two sessions');
});

t.test('an idle service makes no upstream calls and the pool stays bounded', async (t) => {
  const { app, control } = await setUp(t, { ...prefetchOn, TOKEN_POOL_MAX: '3' });
  await Promise.all(Array.from({ length: 20 }, () => checkout(app)));
  await settled(control);
  const authorizes = control.count('authorize');
  t.ok(authorizes <= 20 + 3, `at most one authorize per checkout plus the pool (${authorizes})`);
  const before = control.calls.length;
  // A minute without checkouts, with every timer the process holds run as it falls due.
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'setInterval', 'Date'] });
  try {
    await clock.tickAsync(60_000);
  } finally {
    clock.uninstall();
  }
  t.equal(control.calls.length, before, 'nothing happens while no checkout arrives');
});

t.test('a pooled token close to expiry is dropped, never used', async (t) => {
  let clock = 1_000_000;
  const now = () => clock;
  const sandbox = await startSandbox(t, { tokenTtlSeconds: 40, now });
  const app = await buildTestApp(t, sandbox, prefetchOn, { now });
  t.equal(await checkout(app), 201);
  await settled(sandbox.control);
  sandbox.control.reset();
  clock += 15_000; // past 40 s − 30 s margin: still valid for Flinks, too old for the pool
  t.equal(await checkout(app), 201);
  t.equal(sandbox.control.calls[0]?.step, 'authorize', 'the stale pooled token was skipped');
});

t.test('a pooled token refused, then its replacement refused too, is a 502 without a third try', async (t) => {
  const { app, control } = await withFilledPool(t);
  control.inject('initiate', { kind: 'status', status: 401 }, 2);
  t.equal(await checkout(app), 502);
  t.equal(control.count('initiate'), 2, 'the pooled token, then one fresh one');
  t.equal(control.count('paymentrequest'), 0);
});

t.test(
  'a payment request call Flinks refuses (401) is a 502, never retried with another token: only the initiating one may activate the session',
  async (t) => {
    const { app, control } = await withFilledPool(t);
    control.inject('paymentrequest', { kind: 'status', status: 401 });
    t.equal(await checkout(app), 502);
    const calls = control.calls.filter((call) => call.step === 'initiate' || call.step === 'paymentrequest');
    t.same(
      calls.map((call) => call.step),
      ['initiate', 'paymentrequest'],
      'one call each',
    );
    t.equal(bearerOf(calls[1]), bearerOf(calls[0]), 'with the token that initiated the session');
    await settled(control);
  },
);

t.test('a pooled token Flinks refuses is replaced and never used again', async (t) => {
  const { app, control } = await withFilledPool(t);
  control.inject('initiate', { kind: 'status', status: 401 });
  t.equal(await checkout(app), 201);
  const refused = bearerOf(control.calls.find((call) => call.step === 'initiate' && call.statusCode === 401));
  t.ok(refused);
  for (let i = 0; i < 5; i++) await checkout(app);
  const uses = control.calls.filter((call) => call.step !== 'authorize' && bearerOf(call) === refused).length;
  t.equal(uses, 1, 'the refused token appears only in the refused call');
});
