import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseWith, readJson } from './body.js';
import { InstitutionIdSchema } from './institutions.js';
import { badRequest, conflict, notFound } from './problem.js';
import type { PaymentRecord, SandboxState } from './state.js';
import { GUID_PATTERN } from './wire.js';

/*
 * What the shopper does in the app, sent by the app page's script: opening the request (the flow
 * starts, the status turns Processing) and the decision at the bank. HTTP routes because in the
 * real flow this happens in the shopper's browser, not in the merchant's process. Only JSON is
 * accepted, so a cross-site HTML form cannot post them (and no CORS is granted).
 */

const START_PATH = '/app/api/sessions/:sessionId/start';
const DECISION_PATH = '/app/api/sessions/:sessionId/decision';

const ParamsSchema = z.object({ sessionId: z.string().regex(GUID_PATTERN, 'sessionId must be a GUID') });

/** Approving or declining happens at a bank, so it names one; cancelling may happen before. */
const DecisionRequestSchema = z.discriminatedUnion('decision', [
  z.strictObject({ decision: z.literal('approve'), institution: InstitutionIdSchema }),
  z.strictObject({ decision: z.literal('decline'), institution: InstitutionIdSchema }),
  z.strictObject({ decision: z.literal('cancel'), institution: InstitutionIdSchema.optional() }),
]);

const StartRequestSchema = z.strictObject({});

export function registerAppDecision(app: FastifyInstance, state: SandboxState): void {
  /** The session's payment request; 404 and 400 as the app page itself answers them. */
  function paymentFor(request: FastifyRequest): PaymentRecord {
    const { sessionId } = parseWith(ParamsSchema, request.params);
    const session = state.findSession(sessionId);
    if (!session) throw notFound('This session does not exist or has expired.');
    const payment = state.paymentOf(session);
    if (!payment) throw badRequest('This session has no payment request, so it cannot be paid yet.');
    return payment;
  }
  const closed = (payment: PaymentRecord) => conflict(`This payment request is already ${state.statusOf(payment)}.`);

  app.post(START_PATH, { bodyLimit: 1024 }, (request) => {
    const payment = paymentFor(request);
    parseWith(StartRequestSchema, readJson(request).parsed);
    const status = state.start(payment);
    if (status === undefined) throw closed(payment);
    return { status };
  });

  app.post(DECISION_PATH, { bodyLimit: 1024 }, (request) => {
    const payment = paymentFor(request);
    const body = parseWith(DecisionRequestSchema, readJson(request).parsed);
    const status = state.decide(payment, body.decision, body.institution);
    if (status === undefined) throw closed(payment);
    return { status };
  });
}
