import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { appPageHtml, errorPageHtml } from './app-html.js';
import type { SandboxState } from './state.js';
import { GUID_PATTERN } from './wire.js';

/*
 * The hosted Flinks Pay app (`/app/?sessionId=`) as the sandbox imitates it: it enforces the v1
 * rule that the app cannot be used before POST /paymentrequests, shows what is paid to whom, and
 * its script (public/app.js) posts the documented app events and sends the shopper's progress and
 * decision to app-decision.ts.
 */

const AppQuerySchema = z.object({ sessionId: z.string().regex(GUID_PATTERN) });

/*
 * Scripts and styles only from this origin, no inline code. Any merchant may frame the page
 * (frame-ancestors *, and no X-Frame-Options, which a host app's helmet would add), and
 * COOP unsafe-none keeps window.opener for a cross-origin merchant's popup: the real app must
 * reach its opener or parent with postMessage too.
 */
const PAGE_HEADERS = {
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    'frame-ancestors *',
  ].join('; '),
  'cross-origin-opener-policy': 'unsafe-none',
  'cache-control': 'no-store',
};

const ASSET_TYPES = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
} as const;

/** Next to this module in sandbox/ (tsx) and in dist/sandbox/ (`npm run build` copies it, scripts/copy-assets.ts). */
const PUBLIC_DIR = new URL('./public/', import.meta.url);

function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  // A host app's helmet may have written to the reply or straight to the raw response; headers set
  // below override its others.
  reply.removeHeader('x-frame-options');
  reply.raw.removeHeader('x-frame-options');
  return reply.code(status).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(html);
}

export function registerAppPage(app: FastifyInstance, state: SandboxState): void {
  // Read once at start-up: a missing file fails the start, not the first shopper.
  for (const [name, type] of Object.entries(ASSET_TYPES)) {
    const content = readFileSync(new URL(name, PUBLIC_DIR), 'utf8');
    app.get(`/app/${name}`, (_request, reply) =>
      reply.type(type).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').send(content),
    );
  }

  app.get('/app/', (request, reply) => {
    const query = AppQuerySchema.safeParse(request.query);
    if (!query.success) {
      return sendPage(reply, 400, errorPageHtml('Invalid link', 'The sessionId query parameter must be a GUID.'));
    }
    const session = state.findSession(query.data.sessionId);
    if (!session) {
      return sendPage(reply, 404, errorPageHtml('Session not found', 'This session does not exist or has expired.'));
    }
    const payment = state.paymentOf(session);
    if (!payment) {
      return sendPage(
        reply,
        400,
        errorPageHtml('Session not ready', 'This session has no payment request, so it cannot be paid yet.', [
          `Session ${session.sessionId}`,
          'POST /api/v1/paymentrequests must succeed before the app is opened.',
        ]),
      );
    }
    // Open while undecided: a shopper may reload the page mid-flow (Processing).
    if (!state.isOpen(payment)) {
      const status = state.statusOf(payment);
      return sendPage(reply, 409, errorPageHtml('Payment closed', `This payment request is already ${status}.`));
    }
    const { customerName: payer, referenceId } = session.request;
    return sendPage(reply, 200, appPageHtml({ sessionId: session.sessionId, amountLiteral: session.amountLiteral, payer, referenceId }));
  });
}
