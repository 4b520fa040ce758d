import type { Env } from './env-schema.js';

/*
 * The parts of Config that several settings make together: which Flinks to talk to, where intent
 * keys come from, outcome delivery and the demo page.
 */

export type FlinksConfig =
  | {
      mode: 'remote';
      baseUrl: string;
      appUrl: string;
      username: string;
      password: string;
      instance?: string;
      authorizeStyle: 'basic' | 'basic+form';
    }
  | {
      mode: 'sandbox';
      appUrl?: string;
      instance?: string;
      /** FLINKS_USERNAME or FLINKS_PASSWORD was set without FLINKS_BASE_URL: nothing uses them (said at start). */
      credentialsIgnored?: true;
    };

/** Where the keys that verify signed checkout intents come from; absent: unsigned amounts are accepted. */
export type IntentKeysConfig = { mode: 'secret'; secret: string } | { mode: 'jwks'; url: string; timeoutMs: number; cooldownMs: number };

/** Reconciliation, Flinks webhooks in and merchant webhooks out (docs/outcomes.md). */
export function outcomesOf(env: Env) {
  const hour = 60 * 60 * 1000;
  const firstDelayMs = env.RECONCILE_FIRST_DELAY_MS;
  const secrets = [env.MERCHANT_WEBHOOK_SECRET, env.MERCHANT_WEBHOOK_PREVIOUS_SECRET].filter((s): s is string => s !== undefined);
  return {
    reconcile: {
      firstDelayMs,
      // Backing off doubles the pause up to this; a Processed payment may take a day or two to settle.
      maxDelayMs: Math.max(firstDelayMs, 30 * 60_000),
      maxAgeMs: env.RECONCILE_MAX_AGE_HOURS * hour,
      concurrency: env.RECONCILE_CONCURRENCY,
      maxPerSecond: env.RECONCILE_MAX_PER_SECOND,
      // A checkout observed this recently (by a status read or stream) is not read again yet.
      freshForMs: Math.min(firstDelayMs, 30_000),
    },
    flinksWebhook: env.FLINKS_WEBHOOK_SECRET ? { secret: env.FLINKS_WEBHOOK_SECRET } : undefined,
    merchantWebhook: env.MERCHANT_WEBHOOK_URL && secrets.length > 0 ? { url: env.MERCHANT_WEBHOOK_URL, secrets } : undefined,
    delivery: {
      maxAgeMs: env.MERCHANT_WEBHOOK_MAX_AGE_HOURS * hour,
      retryFirstMs: env.MERCHANT_WEBHOOK_RETRY_FIRST_MS,
      // Doubling stops here, so a merchant back after a long outage hears within the hour.
      retryMaxMs: Math.max(env.MERCHANT_WEBHOOK_RETRY_FIRST_MS, 60 * 60_000),
      timeoutMs: env.MERCHANT_WEBHOOK_TIMEOUT_MS,
      // Attempts in flight at once per instance: a hanging endpoint holds one slot, not the queue.
      concurrency: 16,
    },
    // The header Flinks signs in; also used when the demo wires the sandbox's webhooks by itself.
    flinksWebhookSignatureHeader: env.FLINKS_WEBHOOK_SIGNATURE_HEADER.toLowerCase(),
  };
}

/**
 * The demo merchant page: always beside the sandbox; with real Flinks only when asked for. Its
 * stand-in merchant backend signs any amount, so it may hold the signing secret only beside the
 * embedded sandbox, and never in production.
 */
export function demoOf(env: Env, flinks: FlinksConfig): { enabled: boolean; mintSecret?: string } {
  const enabled = flinks.mode === 'sandbox' || env.DEMO_PAGE;
  // Only beside the embedded sandbox: against real Flinks (FLINKS_BASE_URL set) a signer for any
  // amount would defeat signed intents, whatever NODE_ENV and DEMO_PAGE say.
  const mintSecret = flinks.mode === 'sandbox' && env.NODE_ENV !== 'production' ? env.CHECKOUT_SIGNING_SECRET : undefined;
  return mintSecret === undefined ? { enabled } : { enabled, mintSecret };
}

export function intentKeysOf(env: Env): IntentKeysConfig | undefined {
  if (env.CHECKOUT_SIGNING_SECRET) return { mode: 'secret', secret: env.CHECKOUT_SIGNING_SECRET };
  if (env.CHECKOUT_JWKS_URL) {
    return {
      mode: 'jwks',
      url: env.CHECKOUT_JWKS_URL,
      timeoutMs: env.CHECKOUT_JWKS_TIMEOUT_MS,
      cooldownMs: env.CHECKOUT_JWKS_COOLDOWN_MS,
    };
  }
  return undefined;
}
