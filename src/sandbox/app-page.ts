import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { GUID_PATTERN } from '../upstream/flinks-pay/schemas.js';
import type { SandboxState } from './state.js';

/*
 * Placeholder for the hosted Flinks Pay app (`/app/?sessionId=`). It only identifies the session
 * and enforces the v1 rule that the app cannot be used before POST /paymentrequests; approve /
 * decline controls come later.
 */

const AppQuerySchema = z.object({ sessionId: z.string().regex(GUID_PATTERN) });

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

function page(reply: FastifyReply, status: number, title: string, lines: string[]): FastifyReply {
  const body = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)} - Flinks Pay sandbox</title></head>`,
    `<body><h1>${escapeHtml(title)}</h1>`,
    ...lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    '</body></html>',
  ].join('\n');
  // The page has no scripts or styles yet, so the strictest policy costs nothing.
  return reply
    .code(status)
    .header('content-security-policy', "default-src 'none'; frame-ancestors *")
    .type('text/html; charset=utf-8')
    .send(body);
}

export function registerAppPage(app: FastifyInstance, state: SandboxState): void {
  app.get('/app/', (request, reply) => {
    const query = AppQuerySchema.safeParse(request.query);
    if (!query.success) return page(reply, 400, 'Invalid link', ['The sessionId query parameter must be a GUID.']);
    const session = state.findSession(query.data.sessionId);
    if (!session) return page(reply, 404, 'Session not found', ['This session does not exist or has expired.']);
    const payment = session.requestId === undefined ? undefined : state.findPayment(session.requestId);
    if (!payment) {
      return page(reply, 400, 'Session not ready', [
        `Session ${session.sessionId} has no payment request.`,
        'POST /api/v1/paymentrequests must succeed before the app can be opened.',
      ]);
    }
    const { firstName, lastName, referenceId } = session.request;
    return page(reply, 200, 'Flinks Pay sandbox', [
      `Session ${session.sessionId}`,
      `Pay CAD ${session.amountLiteral} as ${firstName} ${lastName} (reference ${referenceId}).`,
      `Payment request ${payment.requestId}: ${payment.status}.`,
    ]);
  });
}
