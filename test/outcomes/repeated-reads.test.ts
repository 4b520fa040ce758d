import t from 'tap';
import { buildTestApp, postCheckout, startSandbox, validCheckout } from '../support/build.js';
import { opsCall, TOKENS } from '../routes/ops/support.js';
import { sharedRedisEnv } from '../support/redis.js';

/*
 * A client polling a checkout whose status has not moved no longer writes its record on every
 * read: an unchanged status refreshes the record's observedAt at most every third of the window in
 * which reconciliation takes a checkout as observed (RECONCILE_FIRST_DELAY_MS, at most 30 s: 10 s
 * here). A change is noted at once, and so is whatever an operator's refresh reads.
 */
t.test('repeated reads of an unchanged status write its record at most once per refresh window (Redis)', async (t) => {
  const sandbox = await startSandbox(t);
  let clock = Date.parse('2026-03-01T10:00:00.000Z');
  const app = await buildTestApp(t, sandbox, { ...sharedRedisEnv(t), STATUS_CACHE_MS: '0', OPS_TOKENS: TOKENS.join(',') }, { now: () => clock });
  await app.ready();
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  const read = async (expected: string) => {
    const answer = await app.inject({ url: `/checkout/${requestId}` });
    t.equal(answer.statusCode, 200, answer.body);
    t.equal(answer.json<{ status: string }>().status, expected);
  };
  const observedAt = async () => (await app.outcomes.store.get(requestId))?.observedAt;

  clock += 1000;
  await read('Initiated');
  t.equal(await observedAt(), '2026-03-01T10:00:01.000Z', 'the first read is noted');
  clock += 5000;
  await read('Initiated');
  await read('Initiated');
  t.equal(await observedAt(), '2026-03-01T10:00:01.000Z', 'reads of the same status 5 s later are not');

  sandbox.control.setStatus(requestId, 'Processing');
  clock += 1000;
  await read('Processing');
  const record = await app.outcomes.store.get(requestId);
  t.match(record, { status: 'Processing', updatedAt: '2026-03-01T10:00:07.000Z', observedAt: '2026-03-01T10:00:07.000Z' }, 'a change is noted at once');

  clock += 10_000;
  await read('Processing');
  t.equal(await observedAt(), '2026-03-01T10:00:07.000Z', 'inside the window');
  clock += 1;
  await read('Processing');
  t.equal(await observedAt(), '2026-03-01T10:00:17.001Z', 'once the window has passed, noted again');
  t.match(await app.outcomes.store.history(requestId), [{ status: 'Initiated' }, { status: 'Processing', source: 'read' }]);
  t.equal((await app.outcomes.store.history(requestId)).length, 2, 'one entry per change');

  clock += 1000;
  const refreshed = await opsCall(app, 'POST', `/ops/checkouts/${requestId}/refresh`);
  t.equal(refreshed.statusCode, 200, refreshed.body);
  t.match(refreshed.json(), { status: 'Processing', observedAt: '2026-03-01T10:00:18.001Z' }, 'an operator sees when the refresh read Flinks');
  t.equal((await app.outcomes.store.history(requestId)).at(-1)?.source, 'read', 'recorded as a read');
});
