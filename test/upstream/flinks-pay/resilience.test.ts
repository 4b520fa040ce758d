import FakeTimers from '@sinonjs/fake-timers';
import t, { type Test } from 'tap';
import { UpstreamRejectedError, UpstreamUnavailableError } from '../../../src/errors/app-errors.js';
import { createUpstreamResilience } from '../../../src/upstream/flinks-pay/resilience.js';

/*
 * The circuit guard a checkout passes before its first call (assertAvailable), on a fake clock:
 * cockatiel and the guard both read Date.now.
 */

const failing = () => Promise.reject(new UpstreamRejectedError('paymentrequest', 500));
const answering = () => Promise.resolve('ok');

function setUp(t: Test) {
  const clock = FakeTimers.install({ toFake: ['Date'], now: Date.UTC(2026, 0, 1) });
  t.teardown(() => {
    clock.uninstall();
  });
  const resilience = createUpstreamResilience({ failureThreshold: 2, halfOpenAfterMs: 5000, maxConcurrency: 10, maxQueue: 10 });
  const open = async () => {
    for (let i = 0; i < 2; i++) await t.rejects(resilience.run('paymentrequest', failing), UpstreamRejectedError);
  };
  const refusal = (): UpstreamUnavailableError | undefined => {
    try {
      resilience.assertAvailable(['initiate', 'paymentrequest']);
      return undefined;
    } catch (error) {
      if (error instanceof UpstreamUnavailableError) return error;
      throw error;
    }
  };
  return { clock, resilience, open, refusal };
}

t.test('while a circuit is open, a checkout is refused with the time left until its probe', async (t) => {
  const { clock, open, refusal } = setUp(t);
  t.equal(refusal(), undefined, 'closed circuits let it through');
  await open();
  t.match(refusal()?.headers, { 'retry-after': '5' });
  clock.tick(4200);
  t.match(refusal()?.headers, { 'retry-after': '1' }, 'not the whole pause again');
});

t.test('once the probe is due, one checkout goes on and the ones after it wait for its outcome', async (t) => {
  const { clock, resilience, open, refusal } = setUp(t);
  await open();
  clock.tick(5000);
  t.equal(refusal(), undefined, 'the first makes the probe');
  t.match(refusal()?.headers, { 'retry-after': '5' }, 'the next are refused, not let through to make sessions for nothing');
  t.match(refusal()?.headers, { 'retry-after': '5' });

  // The probe fails: another pause; then one more probe, which succeeds and closes the circuit.
  clock.tick(1000);
  await t.rejects(resilience.run('paymentrequest', failing), UpstreamRejectedError);
  t.match(refusal()?.headers, { 'retry-after': '5' });
  clock.tick(5000);
  t.equal(refusal(), undefined);
  t.equal(await resilience.run('paymentrequest', answering), 'ok');
  t.equal(refusal(), undefined, 'closed again: every checkout goes on');
  t.equal(refusal(), undefined);
});

t.test('a checkout refused for one step does not use up the probe of another', async (t) => {
  const { clock, resilience, open, refusal } = setUp(t);
  for (let i = 0; i < 2; i++) await t.rejects(resilience.run('initiate', () => Promise.reject(new UpstreamRejectedError('initiate', 500))));
  clock.tick(3000);
  await open();
  clock.tick(2000);
  // initiate's probe is due, paymentrequest's is 3 s away: refused, and initiate's probe stays due.
  t.match(refusal()?.headers, { 'retry-after': '3' });
  clock.tick(3000);
  t.equal(refusal(), undefined, 'both probes are made by this one');
  t.ok(refusal(), 'and the next waits');
});
