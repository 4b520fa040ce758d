/*
 * The payment attempt of this tab, kept in sessionStorage so that a reload or a retry resumes it
 * (the same Idempotency-Key, the same checkout) instead of paying twice. It holds no personal
 * data: the order is known by a digest.
 */
import type { CheckoutStatus } from './types.js';

export interface Attempt {
  /** Digest of the service URL and the checkout body. */
  fingerprint: string;
  /** The Idempotency-Key of this attempt's POST /checkout. */
  key: string;
  /** The service's URL. */
  base: string;
  at: number;
  requestId?: string;
  launchUrl?: string;
  /** Set while the shopper is away in redirect mode (see `resume`). */
  redirect?: boolean;
  /** The paid status, once paid: paying for the order again resolves with it, and opens nothing. */
  paid?: CheckoutStatus;
}

const STORE_KEY = 'flinks-pay-checkout';
/** The service keeps Idempotency-Keys 24 h; an attempt is resumed for a little less. */
const MAX_AGE_MS = 23 * 3600_000;

export function loadAttempt(): Attempt | undefined {
  try {
    const attempt = JSON.parse(sessionStorage.getItem(STORE_KEY) ?? 'null') as Attempt | null;
    return attempt && Date.now() - attempt.at < MAX_AGE_MS ? attempt : undefined;
  } catch {
    return undefined;
  }
}

/** Stores `attempt`, or forgets the stored one. */
export function saveAttempt(attempt: Attempt | undefined): void {
  try {
    if (attempt) sessionStorage.setItem(STORE_KEY, JSON.stringify(attempt));
    else sessionStorage.removeItem(STORE_KEY);
  } catch {
    // Storage off (a privacy mode): the attempt lives as long as the page; still one payment per click.
  }
}

export function newAttempt(fingerprint: string, base: string): Attempt {
  return { fingerprint, key: crypto.randomUUID(), base, at: Date.now() };
}

/** cyrb53, a small non-cryptographic 53-bit hash: enough to tell two orders apart, and reveals neither. */
export function digest(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}
