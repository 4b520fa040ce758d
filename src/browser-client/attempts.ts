/*
 * The payment attempts of this tab, one per order, kept in sessionStorage (in the page when it
 * fails) so that a reload or a retry resumes an order's checkout (the same Idempotency-Key, the
 * same checkout) instead of paying twice. They hold no personal data: an order is known by a digest.
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
/** Orders a tab keeps an attempt for, the most recent first: a shopper may leave one order for another and come back. */
const MAX_ATTEMPTS = 20;

/**
 * The attempts while sessionStorage fails (site data blocked, storage full): kept in the page, they
 * live as long as it does, so an order paid in it is still not paid twice.
 */
let inPage: Attempt[] | undefined;

function loadAll(): Attempt[] {
  try {
    const stored: unknown = inPage ?? JSON.parse(sessionStorage.getItem(STORE_KEY) ?? '[]');
    // A tab may hold one attempt as a bare object, as this module stored it before it kept several.
    const attempts = (Array.isArray(stored) ? stored : stored ? [stored] : []) as Attempt[];
    return attempts.filter((attempt) => Date.now() - attempt.at < MAX_AGE_MS);
  } catch {
    return [];
  }
}

function storeAll(attempts: Attempt[]): void {
  inPage = attempts.slice(0, MAX_ATTEMPTS);
  try {
    if (inPage.length > 0) sessionStorage.setItem(STORE_KEY, JSON.stringify(inPage));
    else sessionStorage.removeItem(STORE_KEY);
    inPage = undefined;
  } catch {
    // Storage off: the page keeps them.
  }
}

/** This tab's attempt at the order with this fingerprint. */
export function loadAttempt(fingerprint: string): Attempt | undefined {
  return loadAll().find((attempt) => attempt.fingerprint === fingerprint);
}

/** The attempt the shopper last left this tab for in redirect mode. */
export function redirectedAttempt(): Attempt | undefined {
  return loadAll().find((attempt) => attempt.redirect === true);
}

/** Stores `attempt` as its order's, the most recent. */
export function saveAttempt(attempt: Attempt): void {
  storeAll([attempt, ...loadAll().filter((kept) => kept.fingerprint !== attempt.fingerprint)]);
}

/** Forgets the attempt at the order with this fingerprint: paying for it again is a new payment. */
export function forgetAttempt(fingerprint: string): void {
  storeAll(loadAll().filter((kept) => kept.fingerprint !== fingerprint));
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
