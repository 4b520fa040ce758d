import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GUID_PATTERN } from '../src/upstream/flinks-pay/schemas.js';
import { parseWith, readJson } from './body.js';
import { InstitutionIdSchema } from './institutions.js';
import { badRequest, conflict, notFound } from './problem.js';
import type { SandboxState } from './state.js';

/*
 * What the shopper does at their bank, sent by the app page's script. It is an HTTP route because
 * in the real flow it happens in the shopper's browser, not in the merchant's process. Only JSON
 * is accepted, so a cross-site HTML form cannot post a decision (and no CORS is granted).
 */

export const DECISION_PATH = '/app/api/sessions/:sessionId/decision';

const ParamsSchema = z.object({ sessionId: z.string().regex(GUID_PATTERN, 'sessionId must be a GUID') });

/** Approving or declining happens at a bank, so it names one; cancelling may happen before. */
export const DecisionRequestSchema = z.discriminatedUnion('decision', [
  z.strictObject({ decision: z.literal('approve'), institution: InstitutionIdSchema }),
  z.strictObject({ decision: z.literal('decline'), institution: InstitutionIdSchema }),
  z.strictObject({ decision: z.literal('cancel'), institution: InstitutionIdSchema.optional() }),
]);

export function registerAppDecision(app: FastifyInstance, state: SandboxState): void {
  app.post(DECISION_PATH, { bodyLimit: 1024 }, (request) => {
    const { sessionId } = parseWith(ParamsSchema, request.params);
    const body = parseWith(DecisionRequestSchema, readJson(request));
    const session = state.findSession(sessionId);
    if (!session) throw notFound('This session does not exist or has expired.');
    const payment = state.paymentOf(session);
    if (!payment) throw badRequest('This session has no payment request, so it cannot be paid yet.');
    const status = state.decide(payment, body.decision, body.institution);
    if (status === undefined) throw conflict(`This payment request is already ${state.statusOf(payment)}.`);
    return { status };
  });
}
