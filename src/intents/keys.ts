import { errors, type JWTVerifyGetKey } from 'jose';
import type { IntentKeysConfig } from '../config/config.js';
import { IntentKeysUnavailableError } from '../errors/app-errors.js';
import { secretKey } from '../config/secret.js';
import { createKeySetSource, type RefetchFailureReport } from './key-set-source.js';

/*
 * Algorithms are pinned per key source, so the token's own `alg` header never chooses how it is
 * checked: HS256 only against the shared secret; only asymmetric algorithms against a key set, so
 * a public key of the set can never serve as an HMAC secret (the classic RS256→HS256 confusion),
 * and `none` is accepted nowhere.
 */
const SECRET_ALGORITHMS: readonly string[] = ['HS256'];
const JWKS_ALGORITHMS: readonly string[] = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519'];

export interface IntentKeys {
  algorithms: readonly string[];
  /** The key, or jose's lookup in the key set, for one token; `onRefetchFailure` as the key set source's. */
  keyFor(onRefetchFailure?: RefetchFailureReport): Uint8Array | JWTVerifyGetKey;
  /** Fetches the key set ahead of the first intent (no-op for a secret); never rejects. */
  warmUp(onError: (error: unknown) => void): Promise<void>;
}

export function createIntentKeys(config: IntentKeysConfig): IntentKeys {
  if (config.mode === 'secret') {
    const key = secretKey(config.secret);
    return { algorithms: SECRET_ALGORITHMS, keyFor: () => key, warmUp: () => Promise.resolve() };
  }
  // The set is cached (10 min) and downloaded at most once per cooldown, whether the last
  // download succeeded or failed (a new kid, rotation); each download is bounded by the timeout.
  const remote = createKeySetSource({
    url: config.url,
    timeoutMs: config.timeoutMs,
    cooldownMs: config.cooldownMs,
  });
  const keyFor = (onRefetchFailure?: RefetchFailureReport): JWTVerifyGetKey => {
    const lookUp = remote.keyFor(onRefetchFailure);
    return async (header, token) => {
      try {
        return assertStrongKey(await lookUp(header, token));
      } catch (error) {
        // The set was read and has no (single) key for this token: the token's fault, a 401.
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
        // The set could not be fetched or read: ours, a 503, whatever the token holds.
        throw new IntentKeysUnavailableError({ cause: error });
      }
    };
  };
  return {
    algorithms: JWKS_ALGORITHMS,
    keyFor,
    warmUp: (onError) => remote.reload().catch(onError),
  };
}

/** The modulus length of an RSA key under 2048 bits, which jose refuses with a TypeError; undefined otherwise. */
export function weakKeyBits(key: unknown): number | undefined {
  const algorithm: unknown = typeof key === 'object' && key !== null ? Reflect.get(key, 'algorithm') : undefined;
  const bits: unknown = typeof algorithm === 'object' && algorithm !== null ? Reflect.get(algorithm, 'modulusLength') : undefined;
  return typeof bits === 'number' && bits < 2048 ? bits : undefined;
}

/** A weak key in the set is the set's fault, a 503 (a TypeError from jose would be a 500). */
function assertStrongKey<T>(key: T): T {
  const bits = weakKeyBits(key);
  if (bits !== undefined) {
    throw new IntentKeysUnavailableError({ cause: new Error(`the key set holds an RSA key of ${bits} bits`) });
  }
  return key;
}
