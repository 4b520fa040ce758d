import {
  defaultShutdownTimeoutMs,
  defaultStatusBudget,
  longestCheckoutMs,
  maxHeapUsedBytesOf,
  memoryStoreEntriesFor,
  oldSpaceCapMb,
  STATUS_NOT_FOUND_PER_CHECKOUT,
  STATUS_READS_PER_CHECKOUT,
} from './runtime-limits.js';
import { EnvSchema, type Env } from './env-schema.js';
import { demoOf, intentKeysOf, outcomesOf, type FlinksConfig } from './sections.js';
import { dependentSettingProblems } from './setting-rules.js';

export type { FlinksConfig, IntentKeysConfig } from './sections.js';

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
    : {
        mode: 'sandbox',
        appUrl: env.FLINKS_APP_URL,
        instance: env.FLINKS_INSTANCE,
        ...(env.FLINKS_USERNAME !== undefined || env.FLINKS_PASSWORD !== undefined ? { credentialsIgnored: true as const } : {}),
      };
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
    statusNotFoundLimit: env.STATUS_NOT_FOUND_LIMIT ?? defaultStatusBudget(STATUS_NOT_FOUND_PER_CHECKOUT, env.RATE_LIMIT_MAX),
    // Per client, any checkout.
    statusRateLimit: { max: env.STATUS_RATE_LIMIT_MAX ?? defaultStatusBudget(STATUS_READS_PER_CHECKOUT, env.RATE_LIMIT_MAX), windowMs: env.RATE_LIMIT_WINDOW },
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
      // Open streams in this instance, and per client address; each holds a socket and about 13 KB of memory.
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
      // Twice as long as a checkout can run (its upstream calls share one deadline), plus 30 s for
      // its store writes; short enough that a crashed instance does not block the key for long.
      claimTtlMs: 2 * longestCheckoutMs(env.UPSTREAM_TIMEOUT_MS) + 30_000,
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
