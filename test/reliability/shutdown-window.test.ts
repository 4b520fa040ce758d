import { randomBytes } from 'node:crypto';
import t from 'tap';
import { request } from 'undici';
import { startSandbox, validCheckout } from '../support/build.js';
import { BFF_LISTENING, bffProcessEnv, startProcess } from '../support/process.js';
import { sharedRedisEnv } from '../support/redis.js';

function postCheckout(url: string, key: string) {
  return request(`${url}/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(validCheckout({ referenceId: 'order-shutdown-window' })),
  });
}

/*
 * Two instances share one Redis, as in production. The first is stopped while a checkout waits on
 * a slow Flinks, with a shutdown window too short for it: the exit is forced. Its payment request
 * was on its way to Flinks, so the retry of the same Idempotency-Key on the other instance must
 * not run the checkout again; it hears at once (not 409 until the claim's lease is over, a minute
 * with these timeouts) that the checkout was cut off, and makes no second payment request.
 */
t.test('a checkout cut off by a forced exit: the retry of its Idempotency-Key hears so at once, and makes no second payment request', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.control.inject('paymentrequest', { kind: 'delay', ms: 4000 });
  const env = bffProcessEnv(sandbox.url, {
    ...sharedRedisEnv(t),
    UPSTREAM_TIMEOUT_MS: '5000',
    SHUTDOWN_TIMEOUT_MS: '1000',
  });
  const first = await startProcess(t, 'src/server.ts', env, BFF_LISTENING);
  t.match(first.output(), /SHUTDOWN_TIMEOUT_MS \(1000\) is shorter than one checkout may take[^\n]*default 20000/, 'start-up warning');

  const key = randomBytes(24).toString('base64url');
  const cutOff = postCheckout(first.url, key).then(
    (res) => res.statusCode,
    (error: unknown) => (error as { code?: string }).code ?? 'error',
  );
  await sandbox.control.waitForCall('paymentrequest');
  first.child.kill('SIGTERM');
  t.match(await first.exited, { code: 1 }, 'the exit is forced once the window is over');
  t.match(first.output(), /"interruptedIdempotencyKeys":1[^\n]*answer a retry as interrupted/, 'the claim was ended');
  t.not(await cutOff, 201, 'the cut-off request got no checkout');

  const second = await startProcess(t, 'src/server.ts', { ...env, SHUTDOWN_TIMEOUT_MS: '' }, BFF_LISTENING);
  const retried = await postCheckout(second.url, key);
  t.equal(retried.statusCode, 504, 'the retry is told the checkout was cut off, instead of 409 Conflict');
  t.match(await retried.body.json(), { type: /checkout-interrupted$/, detail: /new Idempotency-Key/ });
  t.equal(sandbox.control.count('paymentrequest'), 1, 'no second payment request');
  second.child.kill('SIGTERM');
  t.match(await second.exited, { code: 0 });
});

t.test('with the default window a slow checkout in flight at SIGTERM completes before the exit', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.control.inject('paymentrequest', { kind: 'delay', ms: 2500 });
  // UPSTREAM_TIMEOUT_MS=3000: the default window is 3 x 3000 + 5000 ms, so 2.5 s of Flinks fits.
  const env = bffProcessEnv(sandbox.url, { UPSTREAM_TIMEOUT_MS: '3000' });
  const bff = await startProcess(t, 'src/server.ts', env, BFF_LISTENING);
  t.notMatch(bff.output(), /SHUTDOWN_TIMEOUT_MS/, 'no warning about the derived window');
  const inFlight = postCheckout(bff.url, randomBytes(24).toString('base64url'));
  await sandbox.control.waitForCall('paymentrequest');
  bff.child.kill('SIGTERM');
  const res = await inFlight;
  t.equal(res.statusCode, 201, 'the checkout completes');
  await res.body.dump();
  t.match(await bff.exited, { code: 0 });
});
