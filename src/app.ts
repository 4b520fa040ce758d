import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from '@fastify/type-provider-zod';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Dispatcher } from 'undici';
import type { EmbeddedSandbox } from '../sandbox/mount.js';
import type { SandboxPluginOptions } from '../sandbox/sandbox-plugin.js';
import { drainPlugin } from './plugins/app/drain.js';
import { errorHandlerPlugin } from './plugins/app/error-handler.js';
import { flinksPayPlugin } from './plugins/app/flinks-pay.js';
import { idempotencyPlugin } from './plugins/app/idempotency.js';
import { metricsPlugin } from './plugins/app/metrics.js';
import { notFoundPlugin } from './plugins/app/not-found.js';
import { requestIdPlugin } from './plugins/app/request-id.js';
import { storePlugin } from './plugins/app/store.js';
import { corsPlugin } from './plugins/external/cors.js';
import { helmetPlugin } from './plugins/external/helmet.js';
import { rateLimitPlugin } from './plugins/external/rate-limit.js';
import { ssePlugin } from './plugins/external/sse.js';
import { swaggerPlugin } from './plugins/external/swagger.js';
import { underPressurePlugin } from './plugins/external/under-pressure.js';
import { createCheckoutFlow } from './checkout/create-checkout.js';
import { createStatusReader } from './checkout/read-status.js';
import { createCheckoutRecords } from './checkout/records.js';
import { createStatusCache } from './checkout/status-cache.js';
import { createStatusWatcher } from './checkout/status-watcher.js';
import type { Config, FlinksConfig } from './config/config.js';
import { InputRefusedError } from './errors/app-errors.js';
import { createCheckoutInputResolver } from './intents/checkout-input.js';
import { createIntentKeys } from './intents/keys.js';
import { mintIntent } from './intents/mint.js';
import { createIntentVerifier } from './intents/verifier.js';
import { parseCadAmount } from './money/cad-amount.js';
import { buildLoggerOptions, requestIdFor } from './observability/logger.js';
import { createCheckoutRoute } from './routes/checkout/create.js';
import { checkoutEventsRoute } from './routes/checkout/events.js';
import { checkoutStatusRoute } from './routes/checkout/status.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';

/** Collaborators a caller (usually a test) may replace. */
export interface AppDeps {
  /** Replaces the upstream keep-alive pools, e.g. with undici's MockAgent. */
  dispatcher?: Dispatcher;
  /** Where JSON log lines go (default stdout). */
  logStream?: DestinationStream;
  now?: () => number;
  /** Options for the embedded sandbox (sandbox mode only), e.g. a control handle. */
  sandbox?: Omit<SandboxPluginOptions, 'credentials'>;
}

const PROBE_PATHS = new Set(['/health', '/ready']);

/** The version in package.json, found above this file both in src/ (tsx) and in dist/src/ (node). */
function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    const candidate = new URL('package.json', dir);
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { version?: string };
      return pkg.version ?? '0.0.0';
    }
    if (dir.pathname === '/') return '0.0.0';
  }
}

/**
 * Assembles the service; never listens. The only place that wires things: every plugin, route and
 * collaborator is registered here, in this order.
 */
export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const isSandbox = config.flinks.mode === 'sandbox';
  const version = packageVersion();
  const now = deps.now ?? Date.now;
  const app = Fastify({
    logger: buildLoggerOptions(config.logLevel, deps.logStream),
    genReqId: requestIdFor,
    requestIdHeader: false,
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      // Probes arrive every few seconds from every orchestrator; their lines would drown the rest.
      disableRequestLogging: (request) => PROBE_PATHS.has(request.url),
    }),
    bodyLimit: config.bodyLimitBytes,
    // Longer than any valid id, so an over-long one gets a 400 naming the field, not a 404.
    routerOptions: { maxParamLength: 256 },
    trustProxy: config.trustProxy,
    // The embedded sandbox is reached over this same server: it must keep answering while
    // in-flight checkouts drain.
    return503OnClosing: !isSandbox,
  }).withTypeProvider<ZodTypeProvider>();

  // JSON is the only body this API takes; anything else is a 415, never a coerced string.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Without FLINKS_BASE_URL the simulator answers under /sandbox of this same server.
  const sandbox = isSandbox ? (await import('../sandbox/mount.js')).embeddedSandbox(app, config.port) : undefined;
  const target = flinksTarget(config.flinks, sandbox);

  // Cross-cutting plugins: ours, then third-party ones with their options.
  await app.register(requestIdPlugin);
  await app.register(metricsPlugin);
  await app.register(drainPlugin);
  await app.register(errorHandlerPlugin);
  await app.register(underPressurePlugin, { ...config.loadShedding, exemptPaths: ['/health', '/metrics'] });
  await app.register(helmetPlugin);
  await app.register(corsPlugin, { origins: config.corsOrigins });
  await app.register(storePlugin, { redis: config.redis, memoryMaxEntries: config.memoryStoreMaxEntries });
  await app.register(rateLimitPlugin, { ...config.rateLimit, redis: app.shared.redis, keyPrefix: app.shared.keyPrefix });
  await app.register(notFoundPlugin, { max: config.statusNotFoundLimit, windowMs: config.rateLimit.windowMs });
  await app.register(swaggerPlugin, { version });
  await app.register(ssePlugin, { heartbeatMs: config.events.heartbeatMs });
  await app.register(idempotencyPlugin, { store: app.shared.store, ...config.idempotency });

  // The one client that speaks to Flinks Pay.
  await app.register(flinksPayPlugin, {
    baseUrl: target.baseUrl,
    credentials: target.credentials,
    instance: config.flinks.instance,
    timeoutMs: config.upstream.timeoutMs,
    connections: config.upstream.connections,
    resilience: config.upstream.resilience,
    tokenPrefetch: config.tokenPrefetch,
    userAgent: `flinks-pay-checkout-bff/${version}`,
    dispatcher: deps.dispatcher,
    now,
  });
  await sandbox?.register({ ...config.sandbox, ...deps.sandbox, instance: config.flinks.instance });

  // Operations: health and readiness.
  await app.register(healthRoutes, {
    cacheMs: config.readiness.cacheMs,
    readinessChecks: {
      'Flinks Pay': () => app.flinksPay.isReachable(config.readiness.probeTimeoutMs),
      ...(app.shared.redis ? { Redis: () => app.shared.store.isHealthy() } : {}),
    },
  });
  // The checkout: its flow, status reads (cached, shared by concurrent readers) and event streams.
  const records = createCheckoutRecords(app.shared.store, app.log);
  const statuses = createStatusCache(createStatusReader({ flinks: app.flinksPay, records }), { ...config.statusCache, now });
  const intentKeys = config.intentKeys ? createIntentKeys(config.intentKeys) : undefined;
  if (intentKeys) {
    app.addHook('onReady', () => {
      void intentKeys.warmUp((error: unknown) => {
        app.log.warn({ err: error }, 'the intent key set is not reachable yet; fetched again on the first intent');
      });
    });
  }
  await app.register(createCheckoutRoute, {
    createCheckout: createCheckoutFlow({ flinks: app.flinksPay, records }),
    resolveInput: createCheckoutInputResolver(intentKeys ? createIntentVerifier(intentKeys, now) : undefined),
    appUrlFor: target.appUrlFor,
  });
  await app.register(checkoutStatusRoute, { readStatus: statuses.read });
  await app.register(checkoutEventsRoute, {
    watcher: createStatusWatcher({
      read: statuses.readFresh,
      intervalMs: config.events.pollIntervalMs,
      maxWatched: config.events.maxWatched,
      log: app.log,
    }),
  });

  // Operations: metrics and the API document.
  await app.register(metricsRoutes);
  await app.register(docsRoutes);

  if (config.demo.enabled) {
    const { demoRoutes } = await import('../sandbox/demo/routes.js');
    const secret = config.demo.mintSecret;
    if (secret !== undefined && !isSandbox) app.log.warn('the demo page signs intents for any amount (POST /demo/intent)');
    await app.register(demoRoutes, {
      signing: intentKeys !== undefined,
      mint: secret === undefined ? undefined : (amount) => mintDemoIntent(secret, amount),
    });
  }
  return app;
}

/** Where Flinks is: the configured instance, or the simulator embedded in this server. */
function flinksTarget(flinks: FlinksConfig, sandbox: EmbeddedSandbox | undefined) {
  if (flinks.mode === 'remote') {
    const { appUrl } = flinks;
    return { baseUrl: flinks.baseUrl, credentials: { username: flinks.username, password: flinks.password }, appUrlFor: () => appUrl };
  }
  if (!sandbox) throw new Error('sandbox mode needs the embedded sandbox');
  const { appUrl } = flinks;
  return {
    baseUrl: sandbox.baseUrl,
    credentials: sandbox.credentials,
    // The launch URL points at this server's /sandbox unless FLINKS_APP_URL says otherwise.
    appUrlFor: appUrl === undefined ? sandbox.appUrlFor : () => appUrl,
  };
}

/** The demo merchant backend's signer: any amount a checkout would take, under a fresh referenceId. */
function mintDemoIntent(secret: string, amount: string | number): Promise<string> {
  const parsed = parseCadAmount(amount);
  if (!parsed.ok) {
    throw new InputRefusedError('The cart amount is not a valid CAD amount.', [{ path: 'amount', message: `is not a valid amount (${parsed.problem})` }]);
  }
  return mintIntent(secret, { amount: parsed.amount, referenceId: `demo-${randomUUID()}` });
}
