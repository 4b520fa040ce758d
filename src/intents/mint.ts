import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { MAX_INTENT_LIFETIME_S } from './claims.js';
import { secretKey } from '../config/secret.js';

export const DEFAULT_INTENT_TTL_S = 10 * 60;

export interface IntentOrder {
  /** Canonical decimal string, e.g. "12.34". */
  amount: string;
  referenceId: string;
  /** Default 10 min, at most 15 min. */
  ttlSeconds?: number;
  /** Default: a fresh UUID (one intent, one checkout). */
  jti?: string;
}

/**
 * Signs an HS256 checkout intent, exactly as a merchant's backend does (README "Securing the
 * amount"). Used by `npm run intent` and the demo page's stand-in backend.
 */
export async function mintIntent(secret: string, order: IntentOrder, nowMs = Date.now()): Promise<string> {
  const ttl = order.ttlSeconds ?? DEFAULT_INTENT_TTL_S;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_INTENT_LIFETIME_S) {
    throw new RangeError(`ttl must be 1-${MAX_INTENT_LIFETIME_S} seconds`);
  }
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ amount: order.amount, referenceId: order.referenceId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setJti(order.jti ?? randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(secretKey(secret));
}
