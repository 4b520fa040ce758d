import { isIP } from 'node:net';
import { z } from 'zod';
import {
  defaultShutdownTimeoutMs,
  heapSettingProblems,
  longestCheckoutMs,
  maxHeapUsedBytesOf,
  memoryStoreEntriesFor,
  oldSpaceCapMb,
} from './runtime-limits.js';
import { isLongEnoughSecret, isQuoted, QUOTED_SECRET, SECRET_TOO_SHORT } from './secret.js';
import { parseTrustProxy, TRUST_PROXY_PROBLEM } from './trust-proxy.js';
import { parse as parseDuration } from '@lukeed/ms';
import {
  FlinksAppUrlSchema,
  FlinksBaseUrlSchema,
  JwksUrlSchema,
  MerchantWebhookUrlSchema,
  OriginSchema,
  RedisUrlSchema,
} from './urls.js';

/** Blank values count as unset, so `PORT=` in an env file means the default. */
const emptyAsUndefined = (value: unknown): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());

/**
 * A secret as written in an env file: surrounding whitespace dropped (one stray space would make
 * every signature or authorize fail, with nothing said at start), and refused when quoted.
 */
const SecretTextSchema = z
  .string()
  .transform((text) => text.trim())
  .refine((text) => !isQuoted(text), { message: QUOTED_SECRET, abort: true });

/** An optional secret setting (blank is unset), further checked by `rules`. */
const optionalSecret = <T extends z.ZodType<unknown, string>>(rules: T) =>
  z.preprocess(emptyAsUndefined, SecretTextSchema.pipe(rules).optional());

/** A URL setting (config/urls.ts): blank means unset. */
const optionalUrl = <T extends z.ZodType>(schema: T) => z.preprocess(emptyAsUndefined, schema.optional());

const flag = (fallback: 'true' | 'false') =>
  z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
      .default(fallback)
      .transform((value) => value === 'true' || value === '1'),
  );

const booleanFlag = flag('false');

const wholeNumber = (min: number, max: number) => {
  const error = `expected a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\s*\d{1,10}\s*$/, error)
    .transform(Number)
    .pipe(z.number().min(min, error).max(max, error));
};

const integer = (min: number, max: number, fallback: number) =>
  z.preprocess(emptyAsUndefined, wholeNumber(min, max).default(fallback));

const optionalInteger = (min: number, max: number) => z.preprocess(emptyAsUndefined, wholeNumber(min, max).optional());

/**
 * A duration in words or, as a bare number, in milliseconds (@lukeed/ms: "60000" is a minute), of
 * at least a second: a rate-limit window of 1 ms would let every client through.
 */
const duration = (fallback: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default(fallback)
      .transform((text, ctx) => {
        const ms = parseDuration(text.trim());
        if (ms === undefined || !Number.isSafeInteger(ms) || ms < 1000) {
          ctx.addIssue({ code: 'custom', message: 'expected at least 1 second, such as "1 minute", "30s" or 60000 (a bare number is milliseconds)' });
          return z.NEVER;
        }
        return ms;
      }),
  );

const originList = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .default('')
    .transform((text) => text.split(',').map((entry) => entry.trim()).filter(Boolean))
    .pipe(z.array(OriginSchema)),
);

/** A Standard Webhooks secret: `whsec_` and the base64 of 24 to 64 random bytes. */
const webhookSecret = optionalSecret(
  z.string().refine((text) => {
    const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(text);
    const bytes = match?.[1] === undefined ? 0 : Buffer.from(match[1], 'base64').length;
    return bytes >= 24 && bytes <= 64;
  }, 'expected whsec_ followed by the base64 of 24 to 64 random bytes'),
);

const HOST_PROBLEM = 'expected an IP address (0.0.0.0 for every interface, :: for IPv6 too) or a host name';

/** An IP address, or a host name (RFC 1123) whose last label is not all digits (999.1.1.1 is no name). */
function isListenHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  const labels = host.split('.');
  return (
    host.length <= 253 &&
    labels.every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label)) &&
    !/^\d+$/.test(labels.at(-1) ?? '')
  );
}

/**
 * Bearer secrets of the operations API, comma-separated (two during a rotation). Each long enough
 * that guessing is hopeless; the message never repeats a value. Set but holding no token (`,,,`)
 * is a mistake, not a way to switch the API off.
 */
const opsTokens = z.preprocess(
  emptyAsUndefined,
  SecretTextSchema.transform((text) => text.split(',').map((token) => token.trim()).filter(Boolean))
    .refine((tokens) => tokens.length > 0, 'set but holding no token (only commas or spaces); unset it to switch the operations API off')
    .refine(
      (tokens) => tokens.every((token) => token.length >= 32 && /^[\x21-\x7e]+$/.test(token)),
      'expected comma-separated tokens of at least 32 visible ASCII characters each; generate one with `openssl rand -base64 32`',
    )
    .default([]),
);

/** Every environment variable the service reads, as documented in the README's configuration table. */
export const EnvSchema = z
  .object({
    NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'test', 'production']).default('development')),
    PORT: integer(0, 65535, 3000),
    HOST: z.preprocess(emptyAsUndefined, z.string().default('0.0.0.0').refine(isListenHost, HOST_PROBLEM)),
    LOG_LEVEL: z.preprocess(
      emptyAsUndefined,
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ),
    FLINKS_BASE_URL: optionalUrl(FlinksBaseUrlSchema),
    FLINKS_APP_URL: optionalUrl(FlinksAppUrlSchema),
    FLINKS_USERNAME: optionalSecret(z.string()),
    FLINKS_PASSWORD: optionalSecret(z.string()),
    FLINKS_INSTANCE: z.preprocess(
      emptyAsUndefined,
      z.string().regex(/^[\x21-\x7e]{1,200}$/, 'expected visible ASCII without spaces').optional(),
    ),
    // How /authorize receives the credentials: the documented Basic header (the e-Transfer
    // quick-start), or also as Username/Password form fields (the v1 OpenAPI page's reading).
    FLINKS_AUTHORIZE_STYLE: z.preprocess(emptyAsUndefined, z.enum(['basic', 'basic+form']).default('basic')),
    CORS_ORIGINS: originList,
    RATE_LIMIT_MAX: integer(1, 1_000_000, 60),
    RATE_LIMIT_WINDOW: duration('1 minute'),
    STATUS_NOT_FOUND_LIMIT: integer(1, 1_000_000, 300),
    STATUS_RATE_LIMIT_MAX: integer(1, 1_000_000, 600),
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
    TRUST_PROXY: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .default('false')
        .transform((text, ctx) => {
          const trust = parseTrustProxy(text);
          if (trust === undefined) {
            ctx.addIssue({ code: 'custom', message: TRUST_PROXY_PROBLEM });
            return z.NEVER;
          }
          return trust;
        }),
    ),
    // Headers and body of a request must arrive within this (slow clients cannot hold sockets open).
    REQUEST_TIMEOUT_MS: integer(100, 600_000, 15_000),
    // The built-in sandbox (also read by `npm run sandbox`): pace of an approval's statuses, and
    // how long an undecided payment request stays Initiated before it is Expired.
    SANDBOX_STEP_MS: integer(1, 600_000, 1000),
    SANDBOX_EXPIRY_MS: integer(1000, 86_400_000, 900_000),
    REDIS_URL: optionalUrl(RedisUrlSchema),
    REDIS_KEY_PREFIX: z.preprocess(
      emptyAsUndefined,
      z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/, 'expected 1-64 characters of A-Z a-z 0-9 : . _ -').default('flinks-bff:'),
    ),
    DEMO_PAGE: booleanFlag,
    // Signed checkout intents: one trust anchor, a shared HS256 secret or a key set (see README).
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
      z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'expected an HTTP header name').default('X-Webhook-Signature'),
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

/**
 * Rules between settings, checked on the raw values so they are reported together with any
 * malformed setting instead of only after it is fixed.
 */
function dependentSettingProblems(env: Record<string, string | undefined>): string[] {
  const isSet = (key: string) => emptyAsUndefined(env[key]) !== undefined;
  const problems: string[] = [];
  if (env.NODE_ENV === 'production' && !isSet('FLINKS_BASE_URL')) {
    problems.push('FLINKS_BASE_URL: required when NODE_ENV=production (the built-in sandbox never serves live traffic)');
  }
  if (isSet('METRICS_PORT') && Number(env.METRICS_PORT) === Number(isSet('PORT') ? env.PORT : 3000)) {
    problems.push('METRICS_PORT: must differ from PORT (metrics are served on a port of their own)');
  }
  if (isSet('FLINKS_BASE_URL')) {
    for (const key of ['FLINKS_USERNAME', 'FLINKS_PASSWORD']) {
      if (!isSet(key)) problems.push(`${key}: required when FLINKS_BASE_URL is set`);
    }
  }
  if (isSet('CHECKOUT_SIGNING_SECRET') && isSet('CHECKOUT_JWKS_URL')) {
    problems.push('CHECKOUT_SIGNING_SECRET, CHECKOUT_JWKS_URL: set one of them, not both (one trust anchor for intents)');
  }
  if (env.NODE_ENV === 'production' && /^http:/i.test(env.CHECKOUT_JWKS_URL?.trim() ?? '')) {
    problems.push('CHECKOUT_JWKS_URL: must be https when NODE_ENV=production (whoever can alter the key set can sign any amount)');
  }
  problems.push(...outcomeSettingProblems(env, isSet), ...heapSettingProblems(env));
  return problems;
}

function outcomeSettingProblems(env: Record<string, string | undefined>, isSet: (key: string) => boolean): string[] {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';
  if (isSet('MERCHANT_WEBHOOK_URL') !== isSet('MERCHANT_WEBHOOK_SECRET')) {
    problems.push('MERCHANT_WEBHOOK_URL, MERCHANT_WEBHOOK_SECRET: set both or neither (every event is signed)');
  }
  if (isSet('MERCHANT_WEBHOOK_PREVIOUS_SECRET') && !isSet('MERCHANT_WEBHOOK_SECRET')) {
    problems.push('MERCHANT_WEBHOOK_PREVIOUS_SECRET: only with MERCHANT_WEBHOOK_SECRET (it is the one being rotated out)');
  }
  if (production && /^http:/i.test(env.MERCHANT_WEBHOOK_URL?.trim() ?? '')) {
    problems.push('MERCHANT_WEBHOOK_URL: must be https when NODE_ENV=production (payment outcomes travel in it)');
  }
  // Flinks asks integrators to read a request's status at most about every 30 s.
  const firstDelay = Number(env.RECONCILE_FIRST_DELAY_MS?.trim() || '30000');
  if (production && firstDelay < 30_000) {
    problems.push('RECONCILE_FIRST_DELAY_MS: at least 30000 when NODE_ENV=production (Flinks: poll no more often than every 30 s)');
  }
  return problems;
}

type Env = z.infer<typeof EnvSchema>;

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
  | { mode: 'sandbox'; appUrl?: string; instance?: string };

/** Where the keys that verify signed checkout intents come from; absent: unsigned amounts are accepted. */
export type IntentKeysConfig =
  | { mode: 'secret'; secret: string }
  | { mode: 'jwks'; url: string; timeoutMs: number; cooldownMs: number };

export type Config = Readonly<ReturnType<typeof toConfig>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once at start; throws a ConfigError whose message is one readable line. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)),
    ...dependentSettingProblems(env),
  ];
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return deepFreeze(toConfig(parsed.data));
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const nested of Object.values(value)) {
    if (nested !== null && typeof nested === 'object') deepFreeze(nested as object);
  }
  return Object.freeze(value);
}

function toConfig(env: Env) {
  const flinks: FlinksConfig = env.FLINKS_BASE_URL
    ? {
        mode: 'remote',
        baseUrl: env.FLINKS_BASE_URL,
        appUrl: env.FLINKS_APP_URL ?? env.FLINKS_BASE_URL,
        username: env.FLINKS_USERNAME ?? '',
        password: env.FLINKS_PASSWORD ?? '',
        instance: env.FLINKS_INSTANCE,
        authorizeStyle: env.FLINKS_AUTHORIZE_STYLE,
      }
    : { mode: 'sandbox', appUrl: env.FLINKS_APP_URL, instance: env.FLINKS_INSTANCE };
  const maxHeapUsedBytes = env.MAX_HEAP_USED_MB === undefined ? undefined : env.MAX_HEAP_USED_MB * 1024 * 1024;
  const capMb = oldSpaceCapMb(env.NODE_OPTIONS);
  return {
    nodeEnv: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    flinks,
    corsOrigins: env.CORS_ORIGINS,
    rateLimit: { max: env.RATE_LIMIT_MAX, windowMs: env.RATE_LIMIT_WINDOW },
    statusNotFoundLimit: env.STATUS_NOT_FOUND_LIMIT,
    // Per client, any checkout; a browser polling every 2 s uses 30 a minute of the default 600.
    statusRateLimit: { max: env.STATUS_RATE_LIMIT_MAX, windowMs: env.RATE_LIMIT_WINDOW },
    upstream: {
      timeoutMs: env.UPSTREAM_TIMEOUT_MS,
      connections: env.UPSTREAM_CONNECTIONS,
      resilience: {
        failureThreshold: env.CIRCUIT_FAILURE_THRESHOLD,
        halfOpenAfterMs: env.CIRCUIT_HALF_OPEN_MS,
        maxConcurrency: env.UPSTREAM_MAX_CONCURRENCY,
        maxQueue: env.UPSTREAM_MAX_QUEUE,
      },
    },
    loadShedding: {
      maxEventLoopDelayMs: env.MAX_EVENT_LOOP_DELAY_MS,
      maxHeapUsedBytes,
      oldSpaceCapMb: capMb,
    },
    tokenPrefetch: { enabled: env.TOKEN_PREFETCH, maxSize: env.TOKEN_POOL_MAX },
    // Final statuses never change again; five minutes spares Flinks the clients still polling.
    // STATUS_CACHE_MS=0 turns the cache off altogether.
    statusCache: { ttlMs: env.STATUS_CACHE_MS, finalTtlMs: env.STATUS_CACHE_MS === 0 ? 0 : 5 * 60_000, maxEntries: 10_000 },
    events: {
      // Flinks asks integrators to poll no more than every 30 s; the sandbox can take 1 s.
      pollIntervalMs: env.STATUS_POLL_INTERVAL_MS ?? (flinks.mode === 'sandbox' ? 1000 : 30_000),
      heartbeatMs: env.SSE_HEARTBEAT_MS,
      maxWatched: env.MAX_WATCHED_CHECKOUTS,
      // Open streams in this instance, and per client address; each holds a socket and some 20 KB.
      maxStreams: env.MAX_EVENT_STREAMS,
      maxStreamsPerClient: env.MAX_EVENT_STREAMS_PER_CLIENT,
    },
    // Set: /metrics only on this port (for the scraper), not on the public PORT.
    metricsPort: env.METRICS_PORT,
    // Swagger UI at /docs; the OpenAPI document at /docs/json stays either way.
    docsUi: env.DOCS_UI,
    idempotency: {
      // The contract: a key answers retries for 24 h.
      retentionMs: 24 * 60 * 60 * 1000,
      // Longer than a checkout can possibly run (at most five upstream calls, each bounded), short
      // enough that a crashed instance does not block the key for long.
      claimTtlMs: 6 * env.UPSTREAM_TIMEOUT_MS + 30_000,
    },
    // In-memory store (no REDIS_URL): checkouts remembered, at most 100,000 and as many as fit well
    // below the heap where load is shed (config/runtime-limits.ts).
    memoryStoreMaxEntries: memoryStoreEntriesFor(maxHeapUsedBytesOf(maxHeapUsedBytes, capMb), 100_000),
    // An authorize that succeeded within a minute proves the credentials; probes never authorize more often.
    readiness: { credentialsMaxAgeMs: 60_000, cacheMs: 2000 },
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS ?? defaultShutdownTimeoutMs(env.UPSTREAM_TIMEOUT_MS),
    longestCheckoutMs: longestCheckoutMs(env.UPSTREAM_TIMEOUT_MS),
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    trustProxy: env.TRUST_PROXY,
    sandbox: { stepMs: env.SANDBOX_STEP_MS, expiryMs: env.SANDBOX_EXPIRY_MS },
    redis: env.REDIS_URL ? { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX } : undefined,
    demo: demoOf(env, flinks),
    intentKeys: intentKeysOf(env),
    outcomes: outcomesOf(env),
    ops: { tokens: env.OPS_TOKENS },
  };
}

/** Reconciliation, Flinks webhooks in and merchant webhooks out (docs/outcomes.md). */
function outcomesOf(env: Env) {
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
    flinksWebhook: env.FLINKS_WEBHOOK_SECRET
      ? { secret: env.FLINKS_WEBHOOK_SECRET, signatureHeader: env.FLINKS_WEBHOOK_SIGNATURE_HEADER.toLowerCase() }
      : undefined,
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
function demoOf(env: Env, flinks: FlinksConfig): { enabled: boolean; mintSecret?: string } {
  const enabled = flinks.mode === 'sandbox' || env.DEMO_PAGE;
  // Only beside the embedded sandbox: against real Flinks (FLINKS_BASE_URL set) a signer for any
  // amount would defeat signed intents, whatever NODE_ENV and DEMO_PAGE say.
  const mintSecret = flinks.mode === 'sandbox' && env.NODE_ENV !== 'production' ? env.CHECKOUT_SIGNING_SECRET : undefined;
  return mintSecret === undefined ? { enabled } : { enabled, mintSecret };
}

function intentKeysOf(env: Env): IntentKeysConfig | undefined {
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
