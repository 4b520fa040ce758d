// crypto.hash: one call per digest, no Hash object (this runs twice per keyed checkout).
import { hash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SharedStore } from '../store/shared-store.js';

/** What a replay sends again, byte for byte. */
const StoredResponseSchema = z.object({
  statusCode: z.number().int(),
  contentType: z.string(),
  location: z.string().optional(),
  body: z.string(),
});
export type StoredResponse = z.infer<typeof StoredResponseSchema>;

const RecordSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('in-flight'),
    fingerprint: z.string(),
    /** Whose claim this is: only its owner may store the answer or give the slot back. */
    owner: z.string().optional(),
    /** Until when (ms since the epoch) the owner may still be running; after it, the claim is abandoned. */
    leaseUntil: z.number().optional(),
  }),
  z.object({ state: z.literal('done'), fingerprint: z.string(), response: StoredResponseSchema }),
]);

/**
 * A claim this request holds: the exact value in the slot, so that storing the answer or giving the
 * slot back happens only while the slot still holds it (never over another request's claim or answer).
 */
export interface Claim {
  slot: string;
  fingerprint: string;
  /** The request's own id for its claims, unique: names what it waits to write (store-retries). */
  owner: string;
  held: string;
}

export type ClaimOutcome =
  | { kind: 'claimed'; claim: Claim }
  /** The earlier claim's owner stopped before it answered: this request holds the slot now, to answer that. */
  | { kind: 'abandoned'; claim: Claim }
  | { kind: 'in-flight' }
  | { kind: 'mismatch' }
  | { kind: 'replay'; response: StoredResponse };

export interface IdempotencyStoreOptions {
  /** How long a completed key is remembered (24 h). */
  retentionMs: number;
  /**
   * How long a claim may stay in flight: longer than any checkout can run, short enough that a
   * crashed instance does not block the key for a day. After it, the claim is abandoned.
   */
  claimTtlMs: number;
  now?: () => number;
}

/** How often a contended binding is judged again before the request is refused as a reuse. */
const BINDING_ATTEMPTS = 3;

/** Hashing keeps arbitrary client-chosen keys out of store key names and bounds their length. */
function storeKey(idempotencyKey: string): string {
  return `idem:${hash('sha256', idempotencyKey, 'base64url')}`;
}

/** Fingerprint of a request body, so a key reused with another body is detected. */
export function fingerprintOf(body: unknown): string {
  return hash('sha256', JSON.stringify(body), 'base64url');
}

/**
 * The slot a header key's answer is kept under: the key *and* the body. Whoever learns or guesses a
 * key but sends another body lands in a slot of their own, so they can neither read the checkout
 * made with that key nor block it. (A signed intent's slot is its `intent:<jti>` key alone: the
 * merchant signed the jti for one checkout, and the same jti for another amount, referenceId or
 * customer is a reuse.)
 */
export function bodyBoundSlot(key: string, fingerprint: string): string {
  return `key+body:${fingerprint}:${key}`;
}

/** Where the body a client last sent with a key is noted (for the 422 of a reused key). */
function clientKey(idempotencyKey: string, client: string): string {
  return `idem-by:${hash('sha256', `${client}\n${idempotencyKey}`, 'base64url')}`;
}

export function createIdempotencyStore(store: SharedStore, options: IdempotencyStoreOptions) {
  const now = options.now ?? Date.now;

  /**
   * A claim lives as long as an answer (24 h), not only as long as its lease: when its owner stops
   * before answering (a crash, a lost store write), nobody knows whether Flinks made its payment
   * request, so the slot must never be taken as if it were free, which would run the checkout again.
   */
  function newClaim(slot: string, fingerprint: string): Claim {
    const owner = randomUUID();
    const record = { state: 'in-flight', fingerprint, owner, leaseUntil: now() + options.claimTtlMs };
    return { slot, fingerprint, owner, held: JSON.stringify(record) };
  }

  /**
   * The claim with its lease over: what a forced exit leaves, and what a request holds while it
   * answers that an abandoned claim was cut off (should it stop too, the next retry answers the
   * same). Never the value of a fresh claim, whose lease lies ahead, so giving a fresh claim back
   * (after a store call that failed here) can never free a slot taken over.
   */
  function leaseOver(claim: Claim): Claim {
    const record = { state: 'in-flight', fingerprint: claim.fingerprint, owner: claim.owner, leaseUntil: 0 };
    return { ...claim, held: JSON.stringify(record) };
  }

  /** What the earlier request left in a slot this request could not take. */
  async function settleTakenSlot(name: string, claim: Claim): Promise<ClaimOutcome> {
    const raw = await store.get(name);
    // Given back in between (its request created nothing upstream): try once more to take it.
    if (raw === undefined) {
      return (await store.setIfAbsent(name, claim.held, options.retentionMs)) ? { kind: 'claimed', claim } : { kind: 'in-flight' };
    }
    const record = RecordSchema.parse(JSON.parse(raw));
    if (record.fingerprint !== claim.fingerprint) return { kind: 'mismatch' };
    if (record.state === 'done') return { kind: 'replay', response: record.response };
    if ((record.leaseUntil ?? Number.POSITIVE_INFINITY) > now()) return { kind: 'in-flight' };
    const takeover = leaseOver(claim);
    return (await store.replaceIfEqual(name, raw, takeover.held, options.retentionMs)) ? { kind: 'abandoned', claim: takeover } : { kind: 'in-flight' };
  }

  /**
   * The client's earlier binding of a key (`name`) to a body, judged: false when that body's answer
   * is still kept or being made (a client reusing a key for a new checkout, 422); otherwise the key
   * is bound to this body now. The binding moves only while the earlier body's slot is still empty,
   * in one atomic step: two new bodies racing for a key whose earlier attempt left nothing (say, a
   * 503) must not both bind it, and make two payments. This request's own slot is claimed already,
   * so a rival that moves the binding after it sees that slot and loses.
   */
  async function isOwnBinding(key: string, name: string, fingerprint: string): Promise<boolean> {
    for (let judged = 0; judged < BINDING_ATTEMPTS; judged++) {
      const earlier = await store.get(name);
      if (earlier === fingerprint) return true;
      const rebound =
        earlier === undefined
          ? await store.setIfAbsent(name, fingerprint, options.retentionMs)
          : await store.replaceIfEqualWhileAbsent(name, earlier, fingerprint, options.retentionMs, storeKey(bodyBoundSlot(key, earlier)));
      if (rebound) return true;
      // The earlier body's answer is kept or being made (a reuse), or a rival moved the binding
      // meanwhile: judged again against what the binding holds now.
      if (earlier !== undefined && (await store.get(storeKey(bodyBoundSlot(key, earlier)))) !== undefined) return false;
    }
    // Still contended after that: refused as a reuse, which makes nothing, rather than risk two payments.
    return false;
  }

  return {
    /**
     * The claim a request is about to make. Made apart from claiming, so that a claim whose store
     * call failed can still be given back: the store may carry it out later (a command that timed
     * out here, not in Redis).
     */
    newClaim,

    /**
     * Atomically claims a slot (a signed intent's key) for this request, or says what the earlier
     * request left there.
     */
    async claim(claim: Claim): Promise<ClaimOutcome> {
      const name = storeKey(claim.slot);
      if (await store.setIfAbsent(name, claim.held, options.retentionMs)) return { kind: 'claimed', claim };
      return settleTakenSlot(name, claim);
    },

    /**
     * For a header key: notes that `client` (an address) sends `key` with this body and claims the
     * key's slot for this body (bodyBoundSlot), both in one round trip. A mismatch when the same
     * client used the key with another body whose answer is still kept or being made: a client
     * reusing a key for a new checkout (422); the slot claimed alongside is given back at once.
     * Another client's use of the key never counts, so a guessed key cannot block anyone; a body
     * whose attempt left nothing (released) no longer counts either.
     */
    async bindAndClaim(key: string, client: string, claim: Claim): Promise<ClaimOutcome> {
      const { fingerprint } = claim;
      const bindingName = clientKey(key, client);
      const slotName = storeKey(claim.slot);
      const [isNewBinding, isClaimed] = await store.setEachIfAbsent([
        { key: bindingName, value: fingerprint, ttlMs: options.retentionMs },
        { key: slotName, value: claim.held, ttlMs: options.retentionMs },
      ]);
      if (!isNewBinding && !(await isOwnBinding(key, bindingName, fingerprint))) {
        if (isClaimed) await store.deleteIfEqual(slotName, claim.held);
        return { kind: 'mismatch' };
      }
      return isClaimed ? { kind: 'claimed', claim } : settleTakenSlot(slotName, claim);
    },

    /**
     * Remembers the response for retries into the same slot; false when the slot holds another
     * request's claim or answer (this claim's lease ran out and a retry answered it as cut off).
     * A slot the store lost (a Redis restart without persistence) takes the answer too: a retry
     * must find it rather than run the checkout again. A slot holding this very answer already is
     * kept too: an earlier attempt that timed out here was carried out by the store (a stall).
     */
    async complete(claim: Claim, response: StoredResponse): Promise<boolean> {
      const name = storeKey(claim.slot);
      const done = JSON.stringify({ state: 'done', fingerprint: claim.fingerprint, response });
      if (await store.replaceIfEqual(name, claim.held, done, options.retentionMs)) return true;
      return (await store.setIfAbsent(name, done, options.retentionMs)) || (await store.get(name)) === done;
    },

    /** Forgets a claim whose request created nothing upstream, so the client may retry with the key. */
    async release(claim: Claim): Promise<void> {
      await store.deleteIfEqual(storeKey(claim.slot), claim.held);
    },

    /**
     * Ends a claim's lease now (a forced exit cut its request off): the next retry answers it as
     * abandoned at once instead of 409 until the lease runs out.
     */
    async abandon(claim: Claim): Promise<void> {
      await store.replaceIfEqual(storeKey(claim.slot), claim.held, leaseOver(claim).held, options.retentionMs);
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
