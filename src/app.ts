import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from '@fastify/type-provider-zod';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Dispatcher } from 'undici';
import type { EmbeddedSandbox } from '../sandbox/mount.js';
import type { SandboxPluginOptions } from '../sandbox/sandbox-plugin.js';
import { cutOffAnswersPlugin } from './plugins/app/cut-off-answers.js';
import { drainPlugin } from './plugins/app/drain.js';
import { answerRequestsNodeRefuses, frameworkErrorHandler, handleClientError } from './plugins/app/early-errors.js';
import { errorHandlerPlugin } from './plugins/app/error-handler.js';
import { flinksPayPlugin, readinessOfFlinks } from './plugins/app/flinks-pay.js';
import { idempotencyPlugin } from './plugins/app/idempotency.js';
import { jsonBodyPlugin } from './plugins/app/json-body.js';
import { metricsPlugin } from './plugins/app/metrics.js';
import { metricsListenerPlugin } from './plugins/app/metrics-listener.js';
import { notFoundPlugin } from './plugins/app/not-found.js';
import { requestIdPlugin } from './plugins/app/request-id.js';
import { hostHeaderPlugin } from './plugins/app/host-header.js';
import { storePlugin } from './plugins/app/store.js';
import { corsPlugin, crossOriginAnswerHeaders } from './plugins/external/cors.js';
import { API_HEADERS, framedAppOrigins, helmetPlugin } from './plugins/external/helmet.js';
import { rateLimitPlugin } from './plugins/external/rate-limit.js';
import { ssePlugin } from './plugins/external/sse.js';
import { swaggerPlugin } from './plugins/external/swagger.js';
import { underPressurePlugin } from './plugins/external/under-pressure.js';
import { zodOnlySchemas } from './plugins/zod-compilers.js';
import type { Config, FlinksConfig } from './config/config.js';
import { packageVersion } from './config/package-version.js';
import { startUpWarnings } from './config/start-up-warnings.js';
import { toFastifyTrustProxy } from './config/trust-proxy.js';
import { mintDemoIntent } from './intents/demo-signer.js';
import { intentVerificationFor } from './intents/wiring.js';
import { findClientAssets } from './client-assets/assets.js';
import { AccessLogController } from './observability/access-log.js';
import { stdoutLogDestination } from './observability/log-destination.js';
import { buildLoggerOptions, requestIdFor } from './observability/logger.js';
import { registerCheckoutRoutes } from './routes/checkout/wiring.js';
import { clientRoutes } from './routes/client.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { opsRoutes } from './routes/ops/index.js';
import { flinksWebhookRoute } from './routes/webhooks/flinks.js';
import { createDemoWebhooks } from './outcomes/demo-webhooks.js';
import { createOpsConsole } from './outcomes/ops-console.js';
import { outcomeDeliveryFor } from './outcomes/wiring.js';

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
const isProbe = (request: FastifyRequest): boolean => PROBE_PATHS.has(request.url);

/** The operations API's budget per RATE_LIMIT_WINDOW (per token, per address without one), unless RATE_LIMIT_MAX is higher. */
const OPS_RATE_LIMIT_MAX = 600;

/**
 * Assembles the service; never listens. The only place that wires things: every plugin, route and
 * collaborator is registered from here, in this order (the checkout's routes, outcome delivery and
 * signed intents through their wiring modules).
 */
export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const isSandbox = config.flinks.mode === 'sandbox';
  const version = packageVersion();
  const now = deps.now ?? Date.now;
  const app = Fastify({
    logger: buildLoggerOptions(config.logLevel, deps.logStream ?? stdoutLogDestination()),
    genReqId: requestIdFor,
    requestIdHeader: false,
    // Probes arrive every few seconds from every orchestrator; their lines would drown the rest.
    logController: new AccessLogController(isProbe),
    bodyLimit: config.bodyLimitBytes,
    // Longer than any valid id, so an over-long one up to this length gets a 400 naming the field;
    // beyond it the router refuses the path, also as a 400 (frameworkErrorHandler).
    routerOptions: { maxParamLength: 256 },
    // Errors raised before routing (bad percent-encoding, malformed HTTP) become problem+json too;
    // the router's refusals carry the security and CORS headers the hooks below would have set.
    frameworkErrors: frameworkErrorHandler((request) => ({
      ...API_HEADERS,
      ...crossOriginAnswerHeaders(config.corsOrigins, request.headers.origin),
    })),
    clientErrorHandler: handleClientError,
    // Headers and body must arrive within REQUEST_TIMEOUT_MS, else 408 and the socket closes. Node
    // looks for late requests every connectionsCheckingInterval (30 s by default, which would let a
    // slow client hold its socket that much longer). No connectionTimeout: a checkout's socket is
    // rightly idle while Flinks answers.
    requestTimeout: config.requestTimeoutMs,
    http: {
      // Answered by hostHeaderPlugin instead, as problem+json with a request id.
      requireHostHeader: false,
      headersTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.ceil(config.requestTimeoutMs / 4)),
    },
    trustProxy: toFastifyTrustProxy(config.trustProxy),
    // The embedded sandbox is reached over this same server: it must keep answering while
    // in-flight checkouts drain.
    return503OnClosing: !isSandbox,
    schemaController: zodOnlySchemas,
  }).withTypeProvider<ZodTypeProvider>();
  app.decorateRequest('upstreamCalls', null);
  answerRequestsNodeRefuses(app);
  for (const warning of startUpWarnings(config)) app.log.warn(warning);

  // JSON is the only body this API takes; anything else is a 415, never a coerced string.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Without FLINKS_BASE_URL the simulator answers under /sandbox of this same server.
  const sandbox = isSandbox ? (await import('../sandbox/mount.js')).embeddedSandbox(app, config.port, config.host) : undefined;
  const target = flinksTarget(config.flinks, sandbox);
  const demoWebhooks = isSandbox && config.demo.enabled ? createDemoWebhooks(app.server, config.outcomes) : undefined;

  // Cross-cutting plugins: ours, then third-party ones with their options.
  await app.register(requestIdPlugin);
  await app.register(metricsPlugin);
  await app.register(cutOffAnswersPlugin, { skipLog: isProbe });
  await app.register(drainPlugin);
  await app.register(errorHandlerPlugin);
  await app.register(jsonBodyPlugin);
  await app.register(helmetPlugin, { frameOrigins: framedAppOrigins(config.flinks) });
  await app.register(corsPlugin, { origins: config.corsOrigins });
  // After the security and CORS headers are set: its 400 is an answer like any other.
  await app.register(hostHeaderPlugin);
  // After CORS: a shop's script can read a 503 (and its Retry-After) only when it carries CORS headers.
  // The embedded sandbox stands for Flinks, which does not turn calls away because this service is
  // busy: shedding them would fail checkouts already admitted, as Flinks errors, and open circuits.
  // The probes and metrics stay answered: /ready speaks of Flinks and Redis, not of load, since a
  // spike that made every instance shed would otherwise take them all out of the load balancer.
  await app.register(underPressurePlugin, {
    ...config.loadShedding,
    exemptPaths: ['/health', '/ready', '/metrics'],
    exemptPrefixes: sandbox ? [`${sandbox.prefix}/`] : [],
  });
  await app.register(storePlugin, { redis: config.redis, memoryMaxCheckouts: config.memoryStoreMaxEntries });
  await app.register(rateLimitPlugin, { ...config.rateLimit, redis: app.shared.redis, keyPrefix: app.shared.keyPrefix });
  await app.register(notFoundPlugin, { max: config.statusNotFoundLimit, windowMs: config.rateLimit.windowMs });
  await app.register(swaggerPlugin, { version });
  await app.register(ssePlugin, { heartbeatMs: config.events.heartbeatMs });
  await app.register(idempotencyPlugin, { store: app.shared.store, ...config.idempotency, now });

  // The one client that speaks to Flinks Pay.
  await app.register(flinksPayPlugin, {
    baseUrl: target.baseUrl,
    credentials: target.credentials,
    authorizeStyle: target.authorizeStyle,
    instance: config.flinks.instance,
    timeoutMs: config.upstream.timeoutMs,
    connections: config.upstream.connections,
    resilience: config.upstream.resilience,
    tokenPrefetch: config.tokenPrefetch,
    userAgent: `flinks-pay-checkout-bff/${version}`,
    dispatcher: deps.dispatcher,
    now,
  });
  await sandbox?.register({
    ...config.sandbox,
    ...deps.sandbox,
    instance: config.flinks.instance,
    ...(demoWebhooks ? { webhooks: demoWebhooks.flinks } : {}),
  });

  // Operations: health and readiness.
  await app.register(healthRoutes, {
    cacheMs: config.readiness.cacheMs,
    now,
    readinessChecks: {
      'Flinks Pay': async () => readinessOfFlinks(await app.flinksPay.verifyCredentials(config.readiness.credentialsMaxAgeMs)),
      ...(app.shared.redis ? { Redis: async () => ((await app.shared.store.isHealthy()) ? 'ok' : 'down') } : {}),
    },
  });
  // Outcome delivery (docs/outcomes.md): it keeps the record of every checkout created here, which
  // status reads answer from; every status read reports to it; it reconciles, takes Flinks webhooks
  // and tells the merchant's backend. Sandbox mode wires the demo to itself.
  const outcomes = await outcomeDeliveryFor(app, config, { now, userAgent: `flinks-pay-checkout-bff/${version}`, demo: demoWebhooks });
  // onClose runs once the server has drained, last-registered first: the checkouts still in flight
  // at SIGTERM record themselves and schedule their reconciliation, then the records kept during
  // a store outage are written (registerCheckoutRoutes), and only then do the queues close, before
  // the store does.
  app.addHook('onClose', () => outcomes.close());
  app.decorate('outcomes', outcomes);
  const intents = await intentVerificationFor(config.intentKeys, app.log, now);
  if (intents) app.addHook('onReady', intents.warmUp);
  // The checkout: its flow, status reads and event streams.
  const { readFresh } = await registerCheckoutRoutes(app, config, { outcomes, intents, appUrlFor: target.appUrlFor, now });
  app.addHook('onReady', () => {
    outcomes.start(readFresh);
    return Promise.resolve();
  });
  await app.register(flinksWebhookRoute, {
    verify: outcomes.verifyFlinksSignature,
    signatureHeader: config.outcomes.flinksWebhookSignatureHeader,
    onEvent: outcomes.onFlinksEvent,
    bodyLimit: 64 * 1024,
    // Flinks sends from a few addresses; a burst of payments must not be throttled like one shopper.
    rateLimitMax: Math.max(config.rateLimit.max, 1200),
  });
  // The operations console (docs/operations-console.md): bearer tokens from OPS_TOKENS; without
  // any, every /ops path is a 404 (the routes stay registered so the API document never changes).
  await app.register(opsRoutes, {
    tokens: config.ops.tokens,
    // Its own budget, not the shoppers' RATE_LIMIT_MAX: an operator pages and refreshes quickly,
    // and a guessed token (32+ characters) gets nowhere at 10 a second either.
    rateLimitMax: Math.max(config.rateLimit.max, OPS_RATE_LIMIT_MAX),
    console: createOpsConsole({
      store: outcomes.store,
      readFresh,
      ...(outcomes.redeliver ? { redeliver: outcomes.redeliver } : {}),
    }),
  });

  // Operations: metrics (alone on METRICS_PORT when set, else here) and the API document.
  await app.register(metricsListenerPlugin, { port: config.metricsPort, host: config.host, routes: metricsRoutes });
  if (config.metricsPort === undefined) await app.register(metricsRoutes, { registry: app.metrics.registry });
  await app.register(docsRoutes, { ui: config.docsUi });
  // The drop-in browser client (docs/browser-client.md), built or compiled on first request.
  await app.register(clientRoutes, { assets: findClientAssets() });

  if (config.demo.enabled) {
    const { demoRoutes } = await import('../sandbox/demo/routes.js');
    const secret = config.demo.mintSecret;
    await app.register(demoRoutes, {
      signing: intents !== undefined,
      mint: secret === undefined ? undefined : (amount) => mintDemoIntent(secret, amount),
      merchantWebhookSecret: demoWebhooks?.merchant?.secrets[0],
    });
  }
  return app;
}

/** Where Flinks is: the configured instance, or the simulator embedded in this server. */
function flinksTarget(flinks: FlinksConfig, sandbox: EmbeddedSandbox | undefined) {
  if (flinks.mode === 'remote') {
    const { appUrl } = flinks;
    return {
      baseUrl: flinks.baseUrl,
      credentials: { username: flinks.username, password: flinks.password },
      authorizeStyle: flinks.authorizeStyle,
      appUrlFor: () => appUrl,
    };
  }
  if (!sandbox) throw new Error('sandbox mode needs the embedded sandbox');
  const { appUrl } = flinks;
  return {
    baseUrl: sandbox.baseUrl,
    credentials: sandbox.credentials,
    authorizeStyle: 'basic' as const,
    // The launch URL points at this server's /sandbox unless FLINKS_APP_URL says otherwise.
    appUrlFor: appUrl === undefined ? sandbox.appUrlFor : () => appUrl,
  };
}
