import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors/app-errors.js';
import { ProblemSchema } from '../../errors/problem.js';
import type { CallContext } from '../../upstream/flinks-pay/client.js';
import { backgroundContextOf } from '../checkout/context.js';

export class InvalidWebhookSignatureError extends AppError {
  readonly status = 401;
  readonly code = 'invalid-webhook-signature';
  constructor() {
    super('The webhook signature is missing or does not match the body.');
  }
}

export interface FlinksWebhookRouteOptions {
  /** Checks a signature header against the raw body; absent: Flinks webhooks are off and the path is a 404. */
  verify?: (rawBody: Buffer, signature: string | undefined) => boolean;
  /** FLINKS_WEBHOOK_SIGNATURE_HEADER, lower-case. */
  signatureHeader: string;
  /** Called for a verified event; it only triggers work and returns at once. */
  onEvent: (ctx: CallContext, rawBody: Buffer) => void;
  bodyLimit: number;
  rateLimitMax: number;
}

const FlinksEventSchema = z
  .looseObject({})
  .describe(
    'A Flinks Pay webhook event. Its payload is not published by Flinks, so it is read as a hint: the payment request it ' +
      'names (`requestId`, `RequestId`, `paymentRequestId` or `id`, else a `referenceId`) is read again from Flinks; ' +
      'a status inside the event is never trusted.',
  )
  .meta({ id: 'FlinksWebhookEvent' });

const SignatureHeadersSchema = z.object({
  'x-webhook-signature': z
    .string()
    .optional()
    .describe(
      'HMAC-SHA256 of the raw body with FLINKS_WEBHOOK_SECRET, as `sha256=<hex>` (either case) or base64. ' +
        'The header name is FLINKS_WEBHOOK_SIGNATURE_HEADER (default X-Webhook-Signature).',
    ),
});

const ReceivedSchema = z.object({ received: z.literal(true) }).meta({ id: 'WebhookReceived' });

/** POST /webhooks/flinks: verified against the raw bytes, answered 202 at once, acted on in the background. */
export const flinksWebhookRoute: FastifyPluginAsyncZod<FlinksWebhookRouteOptions> = (app, options) => {
  // The signature covers the exact bytes Flinks sent: keep them as they are, whatever the media type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_request, body, done) => {
    done(null, body);
  });

  app.post('/webhooks/flinks', {
    bodyLimit: options.bodyLimit,
    config: { rateLimit: { max: options.rateLimitMax } },
    onRequest: async (_request, reply) => {
      if (!options.verify) {
        reply.callNotFound();
        return reply;
      }
    },
    // The schemas document the event; the body stays raw bytes, checked by signature instead.
    validatorCompiler: () => (data: unknown) => ({ value: data }),
    schema: {
      operationId: 'receiveFlinksWebhook',
      summary: 'Receive a Flinks Pay webhook',
      description:
        'On when FLINKS_WEBHOOK_SECRET is set, and in sandbox mode, where the simulator signs its events with a ' +
        'secret of the process (404 otherwise). A wrong or missing signature is a 401 and nothing ' +
        'else happens; a valid event is answered 202 at once and triggers one status read of the payment request it ' +
        'names, if it was created here (others are logged and dropped). Replaying an event only causes another read.',
      tags: ['webhooks'],
      headers: SignatureHeadersSchema,
      body: FlinksEventSchema,
      response: {
        202: ReceivedSchema,
        401: ProblemSchema,
        404: ProblemSchema,
        413: ProblemSchema,
        429: ProblemSchema,
        500: ProblemSchema,
      },
    },
    handler: async (request, reply) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const header = request.headers[options.signatureHeader];
      if (!options.verify?.(rawBody, typeof header === 'string' ? header : undefined)) throw new InvalidWebhookSignatureError();
      // Acted on after the 202: its Flinks read logs a line of its own.
      options.onEvent(backgroundContextOf(request), rawBody);
      reply.code(202);
      return { received: true as const };
    },
  });
  return Promise.resolve();
};
