import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type ProtectedHeaderParameters,
} from 'jose';
import { IntentKeysUnavailableError, InvalidIntentError } from '../errors/app-errors.js';
import { checkClaims, CLOCK_SKEW_S, type IntentClaims } from './claims.js';
import { weakKeyBits, type IntentKeys } from './keys.js';
import type { RefetchFailureReport } from './key-set-source.js';

/** Three non-empty base64url parts: an unsigned token (`alg: none`, empty signature) never gets further. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface IntentVerifier {
  /**
   * The intent's claims once its signature, algorithm and time window hold; InvalidIntentError (401)
   * otherwise. `onRefetchFailure` hears of a failed key set download that this token's unknown kid caused.
   */
  verify(token: string, onRefetchFailure?: RefetchFailureReport): Promise<IntentClaims>;
}

/**
 * Checks a checkout intent in two passes. First, without keys: shape, algorithm and claims of the
 * still unverified token, so a malformed, expired or wrongly-typed one is a 401 even while the key
 * set is unreachable, and costs no crypto. Then jose verifies the signature with the pinned
 * algorithms, and the claims are read again from the verified payload.
 */
export function createIntentVerifier(keys: IntentKeys, now: () => number): IntentVerifier {
  return {
    async verify(token, onRefetchFailure) {
      precheck(token, keys.algorithms, now());
      const options: JWTVerifyOptions = {
        algorithms: [...keys.algorithms],
        // jose's tolerance covers exp too; checkClaims then refuses any expired intent.
        clockTolerance: CLOCK_SKEW_S,
        currentDate: new Date(now()),
      };
      let payload: JWTPayload;
      try {
        payload = await verifyWithAnyCandidate(token, keys.keyFor(onRefetchFailure), options);
      } catch (error) {
        throw toIntentError(error);
      }
      return checkClaims(payload, now());
    },
  };
}

function precheck(token: string, algorithms: readonly string[], nowMs: number): void {
  let header: ProtectedHeaderParameters;
  let payload: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    payload = decodeJwt(token);
  } catch {
    throw new InvalidIntentError('malformed', 'it is not a compact JWS (header.payload.signature, base64url) with a JSON claims set.');
  }
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
    throw new InvalidIntentError('algorithm', `its alg must be one of ${algorithms.join(', ')}.`);
  }
  if (!COMPACT_JWS.test(token)) {
    throw new InvalidIntentError('malformed', 'it is not a signed compact JWS (three non-empty base64url parts).');
  }
  checkClaims(payload, nowMs);
}

/** A key set without kids may offer several candidates: the intent is valid if one of them verifies it. */
async function verifyWithAnyCandidate(token: string, key: Uint8Array | JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, key, options)).payload;
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    // A weak key beside strong ones must not block intents signed by the strong ones: skip it.
    let weakOnly = true;
    for await (const candidate of error) {
      if (weakKeyBits(candidate) !== undefined) continue;
      weakOnly = false;
      try {
        return (await jwtVerify(token, candidate, options)).payload;
      } catch (candidateError) {
        if (!(candidateError instanceof errors.JWSSignatureVerificationFailed)) throw candidateError;
      }
    }
    // Every candidate of the right type was weak: the set cannot verify anything, ours (503).
    if (weakOnly) throw new IntentKeysUnavailableError({ cause: new Error('the key set holds only RSA keys under 2048 bits') });
    throw new errors.JWSSignatureVerificationFailed();
  }
}

function toIntentError(error: unknown): unknown {
  if (error instanceof IntentKeysUnavailableError || error instanceof InvalidIntentError) return error;
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new InvalidIntentError('signature', 'its signature does not verify.');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new InvalidIntentError('unknown-key', 'no key of the key set matches its kid and alg.');
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new InvalidIntentError('algorithm', 'its algorithm or header is not accepted.');
  }
  if (error instanceof errors.JWTExpired) return new InvalidIntentError('expired', 'it has expired.');
  if (error instanceof errors.JWTClaimValidationFailed) return new InvalidIntentError('claims', `${error.message}.`);
  if (error instanceof errors.JOSEError) return new InvalidIntentError('malformed', 'it is not a well-formed JWS.');
  // Anything else is a bug here, not a bad token: let it surface as a 500.
  return error;
}
