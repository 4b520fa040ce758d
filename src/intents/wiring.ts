import type { FastifyBaseLogger } from 'fastify';
import type { IntentKeysConfig } from '../config/config.js';
import { INTENT_KEYS_RETRY_AFTER_SECONDS } from '../errors/app-errors.js';
import type { IntentVerifier } from './verifier.js';

export interface IntentVerification {
  verifier: IntentVerifier;
  /** Downloads a key set ahead of the first intent (run once the app is ready); never throws. */
  warmUp: () => void;
}

/**
 * Signed intents where they are configured, else undefined. jose (0.6 MB of heap at start) and the
 * key source are loaded only then.
 */
export async function intentVerificationFor(
  config: IntentKeysConfig | undefined,
  log: FastifyBaseLogger,
  now: () => number,
): Promise<IntentVerification | undefined> {
  if (config === undefined) return undefined;
  const [{ createIntentKeys }, { createIntentVerifier }] = await Promise.all([import('./keys.js'), import('./verifier.js')]);
  const keys = createIntentKeys(config);
  return {
    verifier: createIntentVerifier(keys, now),
    warmUp: () => {
      void keys.warmUp((error: unknown) => {
        log.warn(
          { err: error },
          `the intent key set is not reachable yet; intents answer 503 until a download succeeds (tried again after ${INTENT_KEYS_RETRY_AFTER_SECONDS} s, or CHECKOUT_JWKS_COOLDOWN_MS when shorter)`,
        );
      });
    },
  };
}
