import type { FastifyError, FastifyInstance, FastifyPluginCallback } from 'fastify';
import { registerApiRoutes } from './api-routes.js';
import { registerAppDecision } from './app-decision.js';
import { registerAppPage } from './app-page.js';
import { createCallHooks } from './call-hooks.js';
import { matchPathsCaseInsensitively } from './case-insensitive-paths.js';
import { controlInternals, createSandboxControl, type SandboxControl } from './control.js';
import { SANDBOX_CREDENTIALS, type SandboxCredentials } from './credentials.js';
import { SandboxError, sendProblem } from './problem.js';
import { createSandboxState } from './state.js';
import type { StatusShape } from './status-shapes.js';
import { createWebhookSender, withWebhooks, type SandboxWebhookOptions } from './webhooks.js';

/*
 * The Flinks Pay simulator as an encapsulated plugin (deliberately not wrapped in fastify-plugin):
 * its parsers, error handler and 404 handler must not leak into the BFF that mounts it under
 * /sandbox, and the BFF's zod compilers and error handler must not shape the sandbox's answers.
 */

export { SANDBOX_CREDENTIALS, type SandboxCredentials };

export interface SandboxPluginOptions {
  credentials?: SandboxCredentials;
  /** `expires_in` of issued tokens; Flinks v1 documents 299. */
  tokenTtlSeconds?: number;
  /** Lifetime of sessions and payment requests (Flinks publishes none); default 24 h. */
  recordTtlSeconds?: number;
  /** Cap per map (tokens, sessions, payment requests); the oldest entry is evicted. */
  maxEntries?: number;
  /** Clock in epoch milliseconds, settable by tests. */
  now?: () => number;
  /** When set, every v1 call must send it as the BaseURI header (missing or different: 401). */
  instance?: string;
  control?: SandboxControl;
  /** Absolute base for PaymentLink; default this server's origin as called plus the mount prefix, e.g. `http://127.0.0.1:3000/sandbox`. */
  appBaseUrl?: string;
  /** Time between the statuses of an approval: Accepted at once, then Processed and Settled one step apart. */
  stepMs?: number;
  /** A payment request nobody decided on is Expired after this long (Flinks publishes no value). */
  expiryMs?: number;
  /** Longest any hang (fault or trigger) holds its connection before dropping it. */
  hangLimitMs?: number;
  /** How long the slow test trigger (amount 16.16) holds its answer. */
  slowTriggerMs?: number;
  /**
   * Which documented body GET /paymentrequests/{id} answers: `legacy` { requestId, status,
   * ReferenceId, PaymentLink } (default) or `current` { id, status, paymentReferenceNumber }.
   */
  statusShape?: StatusShape;
  /** Send Flinks-style signed webhooks on every status change (webhooks.ts); none when absent. */
  webhooks?: SandboxWebhookOptions;
}

export const SANDBOX_DEFAULTS = {
  tokenTtlSeconds: 299,
  recordTtlSeconds: 24 * 60 * 60,
  maxEntries: 10_000,
  stepMs: 1000,
  expiryMs: 15 * 60 * 1000,
  hangLimitMs: 60_000,
  slowTriggerMs: 3000,
  statusShape: 'legacy',
} as const;

/** Register with `app.register(sandboxPlugin, { prefix: '/sandbox', ...options })`. */
export const sandboxPlugin: FastifyPluginCallback<SandboxPluginOptions> = (app, opts, done) => {
  try {
    setUp(app, opts);
    done();
  } catch (error) {
    done(error instanceof Error ? error : new Error(String(error)));
  }
};

function setUp(app: FastifyInstance, opts: SandboxPluginOptions): void {
  const plainState = createSandboxState({
    now: opts.now ?? Date.now,
    tokenTtlSeconds: opts.tokenTtlSeconds ?? SANDBOX_DEFAULTS.tokenTtlSeconds,
    recordTtlSeconds: opts.recordTtlSeconds ?? SANDBOX_DEFAULTS.recordTtlSeconds,
    maxEntries: opts.maxEntries ?? SANDBOX_DEFAULTS.maxEntries,
    stepMs: opts.stepMs ?? SANDBOX_DEFAULTS.stepMs,
    expiryMs: opts.expiryMs ?? SANDBOX_DEFAULTS.expiryMs,
  });
  const stepMs = opts.stepMs ?? SANDBOX_DEFAULTS.stepMs;
  const webhooks = opts.webhooks ? createWebhookSender(plainState, opts.webhooks, stepMs, app.log) : undefined;
  const state = webhooks ? withWebhooks(plainState, webhooks) : plainState;
  const control = controlInternals(opts.control ?? createSandboxControl());
  control.attach(state);
  const hooks = createCallHooks(control, { hangLimitMs: opts.hangLimitMs ?? SANDBOX_DEFAULTS.hangLimitMs });

  // One catch-all parser that keeps every body as text: the exact bytes are recorded, the amount
  // literal is checked, and media-type errors become problem+json from the handlers (see body.ts).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    done(null, body);
  });

  app.setErrorHandler<FastifyError | SandboxError>((error, request, reply) => {
    if (error instanceof SandboxError) {
      const { challenge, errors } = error.extra;
      if (challenge) reply.header('www-authenticate', `${challenge} realm="flinks-pay-sandbox"`);
      request.log.info({ status: error.status, detail: error.detail }, 'sandbox rejected call');
      return sendProblem(reply, error.status, error.detail, errors);
    }
    // Fastify's own 4xx (body too large, bad URL) keep their status; anything else is our bug.
    const code = error.statusCode ?? 500;
    const status = code >= 400 && code < 500 ? code : 500;
    if (status === 500) request.log.error({ err: error }, 'sandbox failure');
    return sendProblem(reply, status, status === 500 ? 'Unexpected sandbox error.' : error.message);
  });

  // Before any route: it collects them, to match a mis-cased path against them (ASP.NET-like).
  matchPathsCaseInsensitively(app);

  app.setNotFoundHandler((request, reply) => sendProblem(reply, 404, `No sandbox route for ${request.method} ${request.url.split('?')[0] ?? ''}.`));

  // preClose, not onClose: the root's onClose is what waits for open connections, so a hung or
  // delayed request must be ended before it, or close() would wait for it.
  app.addHook('preClose', (done) => {
    hooks.releaseHeldRequests();
    webhooks?.close();
    done();
  });

  const credentials = opts.credentials ?? SANDBOX_CREDENTIALS;
  const appBase = opts.appBaseUrl ?? app.prefix;
  const triggers = { slowMs: opts.slowTriggerMs ?? SANDBOX_DEFAULTS.slowTriggerMs };
  const statusShape = opts.statusShape ?? SANDBOX_DEFAULTS.statusShape;
  registerApiRoutes(app, { state, credentials, instance: opts.instance, hooks, appBase, triggers, statusShape });
  registerAppPage(app, state);
  registerAppDecision(app, state);
}
