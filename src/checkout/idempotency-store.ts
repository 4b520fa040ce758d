import { createHash } from 'node:crypto';
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
  return `idem:${createHash('sha256').update(idempotencyKey).digest('base64url')}`;
}

/** Fingerprint of a request body, so a key reused with another body is detected. */
export function fingerprintOf(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('base64url');
}

export function createIdempotencyStore(store: SharedStore, options: IdempotencyStoreOptions) {
  return {
    /** Atomically claims the key for this request, or says what the earlier request left. */
    async claim(key: string, fingerprint: string): Promise<ClaimOutcome> {
      const name = storeKey(key);
      const inFlight = JSON.stringify({ state: 'in-flight', fingerprint });
      if (await store.setIfAbsent(name, inFlight, options.claimTtlMs)) return { kind: 'claimed' };
      const raw = await store.get(name);
      // The earlier claim expired between the two calls: try once more to take it.
      if (raw === undefined) {
        return (await store.setIfAbsent(name, inFlight, options.claimTtlMs)) ? { kind: 'claimed' } : { kind: 'in-flight' };
      }
      const record = RecordSchema.parse(JSON.parse(raw));
      if (record.fingerprint !== fingerprint) return { kind: 'mismatch' };
      return record.state === 'done' ? { kind: 'replay', response: record.response } : { kind: 'in-flight' };
    },

    /** Remembers the response for retries of the same key. */
    async complete(key: string, fingerprint: string, response: StoredResponse): Promise<void> {
      await store.set(storeKey(key), JSON.stringify({ state: 'done', fingerprint, response }), options.retentionMs);
    },

    /** Forgets a claim whose request created nothing upstream, so the client may retry with the key. */
    async release(key: string): Promise<void> {
      await store.delete(storeKey(key));
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
