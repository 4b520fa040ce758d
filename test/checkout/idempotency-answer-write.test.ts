import t from 'tap';
import { createIdempotencyStore, type StoredResponse } from '../../src/checkout/idempotency-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';

/*
 * Storing a checkout's answer is tried again while the store fails it (plugins/app/idempotency.ts).
 * A write that timed out here may have been carried out by Redis all the same (a stall): the second
 * attempt then finds the answer already there. That is the answer kept, not a claim run out, so the
 * instance must not log that the key now answers as interrupted.
 */

const options = { retentionMs: 24 * 60 * 60 * 1000, claimTtlMs: 90_000 };
const response: StoredResponse = { statusCode: 201, contentType: 'application/json; charset=utf-8', body: '{"requestId":"r-1"}' };

t.test('an answer written again after the store made the first write (which failed here) is reported as kept', async (t) => {
  const idempotency = createIdempotencyStore(createMemoryStore({ maxEntries: 100 }), options);
  const claim = idempotency.newClaim('slot', 'fingerprint');
  t.match(await idempotency.claim(claim), { kind: 'claimed' });
  t.equal(await idempotency.complete(claim, response), true, 'the first write (carried out, though it timed out here)');
  t.equal(await idempotency.complete(claim, response), true, 'its retry finds this very answer: kept');
  t.match(await idempotency.claim(idempotency.newClaim('slot', 'fingerprint')), { kind: 'replay', response });
});

t.test('an answer whose claim was taken over (answered as interrupted) is still reported as not kept', async (t) => {
  let now = 1_000_000;
  const idempotency = createIdempotencyStore(createMemoryStore({ maxEntries: 100 }), { ...options, now: () => now });
  const claim = idempotency.newClaim('slot', 'fingerprint');
  t.match(await idempotency.claim(claim), { kind: 'claimed' });
  now += options.claimTtlMs + 1;
  const takeover = await idempotency.claim(idempotency.newClaim('slot', 'fingerprint'));
  t.match(takeover, { kind: 'abandoned' });
  t.equal(await idempotency.complete(claim, response), false, 'the late answer does not replace the takeover');
  if (takeover.kind !== 'abandoned') return;
  const interrupted: StoredResponse = { statusCode: 504, contentType: 'application/problem+json', body: '{"status":504}' };
  t.equal(await idempotency.complete(takeover.claim, interrupted), true);
  t.equal(await idempotency.complete(claim, response), false, 'nor the answer kept for the key');
});
