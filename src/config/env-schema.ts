import { z } from 'zod';
import {
  booleanFlag,
  duration,
  emptyAsUndefined,
  flag,
  integer,
  listenHost,
  opsTokens,
  optionalInteger,
  optionalSecret,
  optionalString,
  optionalUrl,
  originList,
  trustProxy,
  webhookSecret,
} from './setting-types.js';
import { isLongEnoughSecret, SECRET_TOO_SHORT } from './secret.js';
import { FlinksAppUrlSchema, FlinksBaseUrlSchema, JwksUrlSchema, MerchantWebhookUrlSchema, RedisUrlSchema } from './urls.js';

/** Checkouts one client may start per RATE_LIMIT_WINDOW unless set; the default status budgets never go below its share. */
export const DEFAULT_RATE_LIMIT_MAX = 60;

/** The most requests any per-client budget may allow per window, set or derived. */
export const MAX_REQUESTS_PER_WINDOW = 1_000_000;

/** Every environment variable the service reads, as docs/configuration.md lists them (a test keeps the two equal). */
export const EnvSchema = z.object({
  NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'test', 'production']).default('development')),
  PORT: integer(0, 65535, 3000),
  HOST: listenHost,
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  FLINKS_BASE_URL: optionalUrl(FlinksBaseUrlSchema),
  FLINKS_APP_URL: optionalUrl(FlinksAppUrlSchema),
  FLINKS_USERNAME: optionalSecret(z.string()),
  FLINKS_PASSWORD: optionalSecret(z.string()),
  FLINKS_INSTANCE: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[\x21-\x7e]{1,200}$/, 'expected visible ASCII without spaces')
      .optional(),
  ),
  // How /authorize receives the credentials: the documented Basic header (the e-Transfer
  // quick-start), or also as Username/Password form fields (the v1 OpenAPI page's reading).
  FLINKS_AUTHORIZE_STYLE: z.preprocess(emptyAsUndefined, z.enum(['basic', 'basic+form']).default('basic')),
  CORS_ORIGINS: originList,
  RATE_LIMIT_MAX: integer(1, MAX_REQUESTS_PER_WINDOW, DEFAULT_RATE_LIMIT_MAX),
  RATE_LIMIT_WINDOW: duration('1 minute'),
  // Unset, both grow with RATE_LIMIT_MAX (config.ts).
  STATUS_NOT_FOUND_LIMIT: optionalInteger(1, MAX_REQUESTS_PER_WINDOW),
  STATUS_RATE_LIMIT_MAX: optionalInteger(1, MAX_REQUESTS_PER_WINDOW),
  UPSTREAM_TIMEOUT_MS: integer(100, 120_000, 10_000),
  STATUS_POLL_INTERVAL_MS: optionalInteger(100, 600_000),
  SSE_HEARTBEAT_MS: integer(1000, 300_000, 15_000),
  STATUS_CACHE_MS: integer(0, 60_000, 2000),
  TOKEN_PREFETCH: flag('false'),
  TOKEN_POOL_MAX: integer(1, 1000, 64),
  MAX_WATCHED_CHECKOUTS: integer(1, 1_000_000, 10_000),
  MAX_EVENT_STREAMS: integer(1, 1_000_000, 2000),
  MAX_EVENT_STREAMS_PER_CLIENT: integer(1, 1_000_000, 200),
  METRICS_PORT: optionalInteger(1, 65535),
  DOCS_UI: flag('true'),
  UPSTREAM_CONNECTIONS: integer(1, 1024, 64),
  UPSTREAM_MAX_CONCURRENCY: integer(1, 100_000, 256),
  UPSTREAM_MAX_QUEUE: integer(0, 1_000_000, 1024),
  CIRCUIT_FAILURE_THRESHOLD: integer(1, 1000, 5),
  CIRCUIT_HALF_OPEN_MS: integer(100, 600_000, 10_000),
  MAX_EVENT_LOOP_DELAY_MS: integer(10, 60_000, 1000),
  MAX_HEAP_USED_MB: optionalInteger(16, 1_048_576),
  // Node reads it itself; the service only takes the old-space cap from it (--max-old-space-size).
  NODE_OPTIONS: optionalString,
  BODY_LIMIT_BYTES: integer(1024, 1_048_576, 16_384),
  // Default: one whole checkout plus a margin (config/runtime-limits.ts).
  SHUTDOWN_TIMEOUT_MS: optionalInteger(0, 600_000),
  TRUST_PROXY: trustProxy,
  // Headers and body of a request must arrive within this (slow clients cannot hold sockets open).
  REQUEST_TIMEOUT_MS: integer(100, 600_000, 15_000),
  // The built-in sandbox (also read by `npm run sandbox`): pace of an approval's statuses, and
  // how long an undecided payment request stays Initiated before it is Expired.
  SANDBOX_STEP_MS: integer(1, 600_000, 1000),
  SANDBOX_EXPIRY_MS: integer(1000, 86_400_000, 900_000),
  REDIS_URL: optionalUrl(RedisUrlSchema),
  REDIS_KEY_PREFIX: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9:._-]{1,64}$/, 'expected 1-64 characters of A-Z a-z 0-9 : . _ -')
      .default('flinks-bff:'),
  ),
  DEMO_PAGE: booleanFlag,
  // Signed checkout intents: one trust anchor, a shared HS256 secret or a key set (docs/signed-intents.md).
  CHECKOUT_SIGNING_SECRET: optionalSecret(z.string().refine(isLongEnoughSecret, SECRET_TOO_SHORT)),
  CHECKOUT_JWKS_URL: optionalUrl(JwksUrlSchema),
  CHECKOUT_JWKS_TIMEOUT_MS: integer(100, 60_000, 5000),
  // At least a second: with 0, every intent naming an unknown kid would refetch the key set.
  CHECKOUT_JWKS_COOLDOWN_MS: integer(1000, 3_600_000, 30_000),
  // Outcome delivery (docs/outcomes.md): reconciliation, Flinks webhooks in, merchant webhooks out.
  RECONCILE_FIRST_DELAY_MS: integer(1, 86_400_000, 30_000),
  RECONCILE_MAX_AGE_HOURS: integer(1, 8760, 168),
  RECONCILE_CONCURRENCY: integer(1, 256, 4),
  RECONCILE_MAX_PER_SECOND: integer(1, 10_000, 10),
  // No minimum length: Flinks issues it and publishes no format (a forged event only triggers a read).
  FLINKS_WEBHOOK_SECRET: optionalSecret(z.string()),
  FLINKS_WEBHOOK_SIGNATURE_HEADER: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9-]{1,100}$/, 'expected an HTTP header name')
      .default('X-Webhook-Signature'),
  ),
  MERCHANT_WEBHOOK_URL: optionalUrl(MerchantWebhookUrlSchema),
  MERCHANT_WEBHOOK_SECRET: webhookSecret,
  MERCHANT_WEBHOOK_PREVIOUS_SECRET: webhookSecret,
  MERCHANT_WEBHOOK_MAX_AGE_HOURS: integer(1, 720, 72),
  MERCHANT_WEBHOOK_RETRY_FIRST_MS: integer(1, 3_600_000, 10_000),
  MERCHANT_WEBHOOK_TIMEOUT_MS: integer(100, 120_000, 10_000),
  // The operations API (/ops/*, docs/operations-console.md); unset: off, every /ops path a 404.
  OPS_TOKENS: opsTokens,
});

export type Env = z.infer<typeof EnvSchema>;
