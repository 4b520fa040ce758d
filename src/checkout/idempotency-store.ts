// crypto.hash: one call per digest, no Hash object (this runs twice per keyed checkout).
import { hash } from 'node:crypto';
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
  z.object({ state: z.literal('in-flight'), fingerprint: z.string() }),
  z.object({ state: z.literal('done'), fingerprint: z.string(), response: StoredResponseSchema }),
]);

export type ClaimOutcome =
  | { kind: 'claimed' }
  | { kind: 'in-flight' }
  | { kind: 'mismatch' }
  | { kind: 'replay'; response: StoredResponse };

export interface IdempotencyStoreOptions {
  /** How long a completed key is remembered (24 h). */
  retentionMs: number;
  /**
   * How long a claim may stay in flight: longer than any checkout can run, short enough that a
   * crashed instance does not block the key for a day.
   */
  claimTtlMs: number;
}

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
 * merchant signed the jti for one checkout, and the same jti with another body is a reuse.)
 */
export function bodyBoundSlot(key: string, fingerprint: string): string {
  return `key+body:${fingerprint}:${key}`;
}

/** Where the body a client last sent with a key is noted (for the 422 of a reused key). */
function clientKey(idempotencyKey: string, client: string): string {
  return `idem-by:${hash('sha256', `${client}\n${idempotencyKey}`, 'base64url')}`;
}

const inFlightRecord = (fingerprint: string) => JSON.stringify({ state: 'in-flight', fingerprint });

export function createIdempotencyStore(store: SharedStore, options: IdempotencyStoreOptions) {
  /** What the earlier request left in a slot this request could not take. */
  async function settleTakenSlot(name: string, fingerprint: string): Promise<ClaimOutcome> {
    const raw = await store.get(name);
    // The earlier claim expired in between: try once more to take it.
    if (raw === undefined) {
      return (await store.setIfAbsent(name, inFlightRecord(fingerprint), options.claimTtlMs)) ? { kind: 'claimed' } : { kind: 'in-flight' };
    }
    const record = RecordSchema.parse(JSON.parse(raw));
    if (record.fingerprint !== fingerprint) return { kind: 'mismatch' };
    return record.state === 'done' ? { kind: 'replay', response: record.response } : { kind: 'in-flight' };
  }

  /**
   * The client's earlier binding of a key (`name`) to a body, judged: false when that body's answer
   * is still kept or being made (a client reusing a key for a new checkout, 422); otherwise the key
   * is bound to this body now.
   */
  async function isOwnBinding(key: string, name: string, fingerprint: string): Promise<boolean> {
    const earlier = await store.get(name);
    if (earlier === undefined || earlier === fingerprint) return true;
    if ((await store.get(storeKey(bodyBoundSlot(key, earlier)))) !== undefined) return false;
    await store.set(name, fingerprint, options.retentionMs);
    return true;
  }

  return {
    /**
     * Atomically claims a slot (a signed intent's key) for this request, or says what the earlier
     * request left there.
     */
    async claim(slot: string, fingerprint: string): Promise<ClaimOutcome> {
      const name = storeKey(slot);
      if (await store.setIfAbsent(name, inFlightRecord(fingerprint), options.claimTtlMs)) return { kind: 'claimed' };
      return settleTakenSlot(name, fingerprint);
    },

    /**
     * For a header key: notes that `client` (an address) sends `key` with this body and claims the
     * key's slot for this body (bodyBoundSlot), both in one round trip. A mismatch when the same
     * client used the key with another body whose answer is still kept or being made: a client
     * reusing a key for a new checkout (422); the slot claimed alongside is given back at once.
     * Another client's use of the key never counts, so a guessed key cannot block anyone; a body
     * whose attempt left nothing (released) no longer counts either.
     */
    async bindAndClaim(key: string, client: string, slot: string, fingerprint: string): Promise<ClaimOutcome> {
      const bindingName = clientKey(key, client);
      const slotName = storeKey(slot);
      const [isNewBinding, isClaimed] = await store.setEachIfAbsent([
        { key: bindingName, value: fingerprint, ttlMs: options.retentionMs },
        { key: slotName, value: inFlightRecord(fingerprint), ttlMs: options.claimTtlMs },
      ]);
      if (!isNewBinding && !(await isOwnBinding(key, bindingName, fingerprint))) {
        if (isClaimed) await store.delete(slotName);
        return { kind: 'mismatch' };
      }
      return isClaimed ? { kind: 'claimed' } : settleTakenSlot(slotName, fingerprint);
    },

    /** Remembers the response for retries into the same slot. */
    async complete(slot: string, fingerprint: string, response: StoredResponse): Promise<void> {
      await store.set(storeKey(slot), JSON.stringify({ state: 'done', fingerprint, response }), options.retentionMs);
    },

    /** Forgets a claim whose request created nothing upstream, so the client may retry with the key. */
    async release(slot: string): Promise<void> {
      await store.delete(storeKey(slot));
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
