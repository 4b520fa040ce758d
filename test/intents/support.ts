import { createHmac, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { postCheckout } from '../support/build.js';

/** 43 bytes: above the 32-byte minimum. */
export const SECRET = 'intent-test-secret-0123456789-abcdefghijklm';
export const SIGNED_ENV = { CHECKOUT_SIGNING_SECRET: SECRET };

export const customer = { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' };

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

const b64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/**
 * The plain JWS recipe of the README, by hand (no jose): base64url(header) "." base64url(payload),
 * HMAC-SHA256 over that text, base64url of the MAC as the third part.
 */
export function hs256(payload: unknown, { secret = SECRET, header = { alg: 'HS256', typ: 'JWT' } }: { secret?: string; header?: object } = {}): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

/** A valid claims set (10 min to live), with overrides; an override of `undefined` drops the claim. */
export function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds();
  const all: Record<string, unknown> = { amount: '12.34', referenceId: 'order-1', jti: randomUUID(), iat, exp: iat + 600, ...overrides };
  return Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined));
}

/** The body of a checkout with an intent. */
export const withIntent = (intent: string, extra: Record<string, unknown> = {}) => ({ intent, customer, ...extra });

export function postIntent(app: FastifyInstance, intent: string, headers: Record<string, string> = {}) {
  return postCheckout(app, withIntent(intent), headers);
}

/** The JSON `initiate` body the sandbox recorded, as text (the amount literal is checked on it). */
export const initiateBody = (calls: readonly { step: string; rawBody: string }[]): string => calls.find((call) => call.step === 'initiate')?.rawBody ?? '';
