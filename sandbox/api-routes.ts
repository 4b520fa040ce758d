import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkInstance, requireBasic, requireBearer } from './auth.js';
import { readForm, readJson, valueOf } from './body.js';
import type { SandboxStep } from './calls.js';
import type { createCallHooks } from './call-hooks.js';
import type { SandboxCredentials } from './credentials.js';
import { conflict, notFound, unauthorized } from './problem.js';
import { amountFault, FAILED_STATUS_DETAILS, type TriggerTimings } from './scenarios.js';
import type { SandboxState } from './state.js';
import { statusBody, type StatusShape } from './status-shapes.js';
import { parseAuthorizeForm, parseCreatePaymentRequest, parseInitiateSession, V1_PATHS } from './wire.js';

/*
 * The four Flinks Pay v1 calls the BFF makes. Status codes the docs leave open (see
 * shared/flinks-pay-api.md §8.7) are chosen to be strict and distinguishable:
 * 401 auth/token, 400 validation, 415 wrong media type, 404 unknown id, 409 repeated activation.
 */

export interface ApiRouteDeps {
  state: SandboxState;
  credentials: SandboxCredentials;
  instance: string | undefined;
  hooks: ReturnType<typeof createCallHooks>;
  /** Prefix of PaymentLink: an absolute app URL, or the plugin's own mount prefix (then on this server's origin). */
  appBase: string;
  triggers: TriggerTimings;
  statusShape: StatusShape;
}

/** Our requests are a few hundred bytes; anything bigger is a client bug worth surfacing. */
const BODY_LIMIT = 16 * 1024;

/** A Host header that can stand in a URL as it is: name or address, optional port. */
const URL_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The base of PaymentLink, which Flinks documents as the link to the app (§2.4, §5:
 * `https://{BaseURL}/app/?sessionId=`), so an absolute URL: `appBase` when it is one, else this
 * server's own origin as the caller reached it, followed by the mount prefix.
 */
function linkBase(appBase: string, request: FastifyRequest): string {
  if (/^https?:\/\//i.test(appBase)) return appBase;
  return URL_HOST.test(request.host) ? `${request.protocol}://${request.host}${appBase}` : appBase;
}

export function registerApiRoutes(app: FastifyInstance, deps: ApiRouteDeps): void {
  const { state, credentials, instance, hooks } = deps;

  /** True when the session's amount triggers a fault on this step and the fault answered. */
  const isTriggered = async (step: SandboxStep, literal: string, request: FastifyRequest, reply: FastifyReply) => {
    const fault = amountFault(step, literal, deps.triggers);
    return fault !== undefined && (await hooks.applyFault(step, fault, request, reply));
  };

  app.post(V1_PATHS.authorize, { bodyLimit: BODY_LIMIT, ...hooks.hooksFor('authorize') }, (request) => {
    checkInstance(request, instance, 'Basic');
    requireBasic(request, credentials);
    valueOf(parseAuthorizeForm(readForm(request)));
    const token = state.issueToken();
    return { access_token: token.token, token_type: 'bearer', expires_in: state.tokenTtlSeconds };
  });

  const initiateOptions = { bodyLimit: BODY_LIMIT, ...hooks.hooksFor('initiate') };
  app.post(V1_PATHS.initiateSession, initiateOptions, async (request, reply) => {
    checkInstance(request, instance, 'Bearer');
    const token = requireBearer(request, state);
    if (token.sessionId !== undefined) {
      throw unauthorized('This access token has already initiated a session; call /authorize again.', 'Bearer');
    }
    const body = readJson(request);
    const { request: session, amountLiteral } = valueOf(parseInitiateSession(body.text, body.parsed));
    if (await isTriggered('initiate', amountLiteral, request, reply)) return reply;
    // A rejected body does not burn the token; only a created session does.
    const created = state.createSession(token, session, amountLiteral);
    return { sessionId: created.sessionId, referenceId: session.referenceId };
  });

  const createOptions = { bodyLimit: BODY_LIMIT, ...hooks.hooksFor('paymentrequest') };
  app.post(V1_PATHS.paymentRequests, createOptions, async (request, reply) => {
    checkInstance(request, instance, 'Bearer');
    const token = requireBearer(request, state);
    const body = readJson(request);
    const { sessionId } = valueOf(parseCreatePaymentRequest(body.text, body.parsed));
    const session = state.findSession(sessionId);
    // Only the token that initiated the session activates it (§2.3: the same token). Any other, a
    // fresh one included, gets the same 404 as a missing session: no existence oracle across tokens.
    const mayActivate = session !== undefined && session.token === token.token;
    if (!mayActivate) throw notFound('No session with this sessionId for this access token.');
    if (session.requestId !== undefined) throw conflict('This session already has a payment request.');
    if (await isTriggered('paymentrequest', session.amountLiteral, request, reply)) return reply;
    return { requestId: state.createPayment(session).requestId };
  });

  app.get<{ Params: { requestId: string } }>(`${V1_PATHS.paymentRequests}/:requestId`, hooks.hooksFor('status'), async (request, reply) => {
    checkInstance(request, instance, 'Bearer');
    // Any live token may poll, including one that already initiated a session.
    requireBearer(request, state);
    const payment = state.findPayment(request.params.requestId);
    if (!payment) throw notFound('No payment request with this requestId.');
    if (await isTriggered('status', payment.amountLiteral, request, reply)) return reply;
    const status = state.statusOf(payment);
    return statusBody(deps.statusShape, {
      requestId: payment.requestId,
      status,
      referenceId: payment.referenceId,
      paymentLink: `${linkBase(deps.appBase, request)}/app/?sessionId=${payment.sessionId}`,
      paymentReferenceNumber: payment.paymentReferenceNumber,
      statusDetails: status === 'Failed' ? FAILED_STATUS_DETAILS : undefined,
    });
  });
}
