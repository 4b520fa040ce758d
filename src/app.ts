import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from '@fastify/type-provider-zod';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Dispatcher } from 'undici';
import { createAppUrlResolver } from './checkout/app-url.js';
import { checkoutModule } from './checkout/checkout-module.js';
import type { Config } from './config/config.js';
import { demoRoutes } from '../sandbox/demo/routes.js';
import { swaggerPlugin } from './docs/swagger.js';
import { errorHandlerPlugin } from './errors/error-handler.js';
import { notFoundPlugin } from './errors/not-found.js';
import { healthRoutes } from './health/routes.js';
import { drainPlugin } from './lifecycle/drain.js';
import { loadSheddingPlugin } from './lifecycle/load-shedding.js';
import { buildLoggerOptions, REQUEST_ID_HEADER, requestIdFor } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { metricsPlugin } from './observability/metrics-plugin.js';
import { SANDBOX_CREDENTIALS } from '../sandbox/credentials.js';
import { embeddedSandboxPlugin, SANDBOX_PREFIX } from '../sandbox/mount.js';
import type { SandboxPluginOptions } from '../sandbox/sandbox-plugin.js';
import { createIntentKeys } from './intent/keys.js';
import { mintIntent } from './intent/mint.js';
import { createIntentVerifier } from './intent/verifier.js';
import { httpSecurityPlugin } from './security/http-security.js';
import { rateLimitPlugin } from './security/rate-limit.js';
import { createSharedState } from './store/shared-state.js';
import { createFlinksPayClient } from './upstream/flinks-pay/client.js';
import { selfUrl } from '../sandbox/self-url.js';

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

const READY_PROBE_TIMEOUT_MS = 2000;
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

/** Assembles the service; never listens. */
export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const { flinks: flinksConfig } = config;
  const isSandbox = flinksConfig.mode === 'sandbox';
  const version = packageVersion();
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
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });

  const metrics = createMetrics();
  await app.register(metricsPlugin, { metrics });
  await app.register(drainPlugin);
  await app.register(errorHandlerPlugin);
  await app.register(loadSheddingPlugin, { ...config.loadShedding, exemptPaths: ['/health', '/metrics'] });
  await app.register(httpSecurityPlugin, { corsOrigins: config.corsOrigins });
  const shared = createSharedState(config.redis, app.log);
  app.addHook('onReady', shared.connect);
  app.addHook('onClose', shared.close);
  await app.register(rateLimitPlugin, {
    ...config.rateLimit,
    notFoundMax: config.statusNotFoundLimit,
    redis: shared.redis,
    keyPrefix: shared.keyPrefix,
  });
  await app.register(notFoundPlugin);
  await app.register(swaggerPlugin, { version });

  const credentials = isSandbox ? SANDBOX_CREDENTIALS : flinksConfig;
  const flinks = createFlinksPayClient({
    baseUrl: isSandbox ? () => `${selfUrl(app.server)}${SANDBOX_PREFIX}` : flinksConfig.baseUrl,
    credentials: { username: credentials.username, password: credentials.password },
    instance: flinksConfig.instance,
    timeoutMs: config.upstream.timeoutMs,
    connections: config.upstream.connections,
    resilience: config.upstream.resilience,
    userAgent: `flinks-pay-checkout-bff/${version}`,
    observe: (step, outcome, seconds) => { metrics.upstreamDuration.observe({ step, outcome }, seconds); },
    dispatcher: deps.dispatcher,
    now: deps.now,
  });
  app.addHook('onClose', () => flinks.close());
  metrics.observeCircuit(() => flinks.resilience.circuitState);

  if (isSandbox) {
    await app.register(embeddedSandboxPlugin, {
      prefix: SANDBOX_PREFIX,
      ...config.sandbox,
      ...deps.sandbox,
      credentials: SANDBOX_CREDENTIALS,
      instance: flinksConfig.instance,
    });
  }

  await app.register(healthRoutes, {
    readinessChecks: {
      'Flinks Pay': () => flinks.isReachable(READY_PROBE_TIMEOUT_MS),
      ...(shared.redis ? { Redis: () => shared.store.isHealthy() } : {}),
    },
  });
  const now = deps.now ?? Date.now;
  const intentKeys = config.intentKeys ? createIntentKeys(config.intentKeys) : undefined;
  if (intentKeys) {
    app.addHook('onReady', () => {
      void intentKeys.warmUp((error: unknown) => {
        app.log.warn({ err: error }, 'the intent key set is not reachable yet; fetched again on the first intent');
      });
    });
  }
  await app.register(checkoutModule, {
    flinks,
    store: shared.store,
    resolveAppUrl: createAppUrlResolver(flinksConfig, config.port),
    intentVerifier: intentKeys ? createIntentVerifier(intentKeys, now) : undefined,
    now,
    settings: {
      upstreamTimeoutMs: config.upstream.timeoutMs,
      tokenPrefetch: config.tokenPrefetch,
      statusCache: config.statusCache,
      events: config.events,
    },
  });
  // The demo merchant page: always beside the sandbox; with real Flinks only when asked for.
  if (isSandbox || config.demoPage) {
    // The demo's stand-in merchant backend signs any amount: never where real money may move.
    const secret = config.intentKeys?.mode === 'secret' && config.nodeEnv !== 'production' ? config.intentKeys.secret : undefined;
    if (secret !== undefined && !isSandbox) app.log.warn('the demo page signs intents for any amount (POST /demo/intent)');
    await app.register(demoRoutes, {
      signing: intentKeys !== undefined,
      mint: secret === undefined ? undefined : (amount) => mintIntent(secret, { amount, referenceId: `demo-${randomUUID()}` }),
    });
  }
  return app;
}
