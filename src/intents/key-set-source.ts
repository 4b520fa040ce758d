import { createLocalJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import { INTENT_KEYS_RETRY_AFTER_SECONDS } from '../errors/app-errors.js';
import { fetchKeySet } from './fetch-key-set.js';

/** As jose's default: a set older than this is downloaded again before it is used. */
const KEY_SET_MAX_AGE_MS = 10 * 60 * 1000;

/**
 * After a failed download, intents that need the set answer 503 at once for as long as their
 * Retry-After says, or the cooldown when it is shorter; then the next one tries again. A blip of the
 * endpoint so costs seconds of refused checkouts, not the whole cooldown, and a failing endpoint is
 * still asked at most once per this time.
 */
const RETRY_AFTER_FAILURE_MS = INTENT_KEYS_RETRY_AFTER_SECONDS * 1000;

export interface KeySetSourceOptions {
  url: string;
  timeoutMs: number;
  /** Least time between two download attempts that a failure or an unknown kid may cause. */
  cooldownMs: number;
}

/**
 * A download for an unknown kid failed while the cached set is still used (the token gets its
 * 401): the operator hears of the failing endpoint now, not only once the set goes stale, and in
 * the log of the request that caused the download.
 */
export type RefetchFailureReport = (error: unknown) => void;

export interface KeySetSource {
  /** jose's key lookup for one token; `onRefetchFailure` hears of a failed download for its unknown kid. */
  keyFor(onRefetchFailure?: RefetchFailureReport): JWTVerifyGetKey;
  /** Downloads the set now (start-up warm-up); like any attempt, it starts the cooldown. */
  reload(): Promise<void>;
}

/*
 * A remote key set around jose's createLocalJWKSet. Not jose's createRemoteJWKSet: that restarts
 * its cooldown only after a *successful* download, so while the endpoint fails every token with a
 * made-up kid downloads the set again and gets a 503 (a flood of forgeries becomes a flood of
 * downloads). Here every attempt, failed or not, starts the cooldown.
 */
export function createKeySetSource(options: KeySetSourceOptions): KeySetSource {
  let local: JWTVerifyGetKey | undefined;
  let loadedAt = -Infinity;
  let attemptedAt = -Infinity;
  let lastFailure: unknown;
  let pending: Promise<void> | undefined;

  const isFresh = () => Date.now() - loadedAt < KEY_SET_MAX_AGE_MS;
  const isCoolingDown = () => Date.now() - attemptedAt < options.cooldownMs;
  const isBackingOff = () => Date.now() - attemptedAt < Math.min(options.cooldownMs, RETRY_AFTER_FAILURE_MS);

  /** One download at a time; concurrent callers share it. */
  function download(): Promise<void> {
    pending ??= (async () => {
      attemptedAt = Date.now();
      try {
        local = createLocalJWKSet(await fetchKeySet(options.url, options.timeoutMs));
        loadedAt = Date.now();
        lastFailure = undefined;
      } catch (error) {
        lastFailure = error;
        throw error;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  }

  /** The cached set while fresh; otherwise a download, unless one failed moments ago (then its error, at once). */
  async function usableSet(): Promise<JWTVerifyGetKey> {
    if (local === undefined || !isFresh()) {
      if (pending === undefined && lastFailure !== undefined && isBackingOff()) {
        throw new Error('the last download of the key set failed moments ago; not retried yet', { cause: lastFailure });
      }
      await (pending ?? download());
    }
    if (local === undefined) throw new Error('no key set was read');
    return local;
  }

  async function getKey(header: Parameters<JWTVerifyGetKey>[0], token: Parameters<JWTVerifyGetKey>[1], onRefetchFailure: RefetchFailureReport | undefined) {
    const set = await usableSet();
    try {
      return await set(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || isCoolingDown()) throw error;
      // An unknown kid may be a key the merchant just rotated in: one download per cooldown finds it.
      try {
        await (pending ?? download());
      } catch (refetchError) {
        // The set we hold is fresh and lacks this kid: the token's fault (401), not an outage.
        onRefetchFailure?.(refetchError);
        throw error;
      }
      return (local ?? set)(header, token);
    }
  }

  return {
    keyFor: (onRefetchFailure) => (header, token) => getKey(header, token, onRefetchFailure),
    reload: download,
  };
}
