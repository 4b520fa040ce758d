import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler, type ZodTypeProvider } from '@fastify/type-provider-zod';
import Fastify, { type FastifyError, type FastifyServerOptions } from 'fastify';
import { z } from 'zod';
import {
  amountAsWritten,
  BODY_LIMIT,
  canonicalAmount,
  closeUpstream,
  createCheckout,
  EMAIL,
  HttpError,
  INVISIBLE,
  LETTER,
  problemOf,
  readStatus,
  REFERENCE_ID,
  requestIdOf,
} from './minimal-core.js';

/*
 * The stack's floor of `npm run bench` (part `stack`): minimal-bff.ts rebuilt on the stack the
 * service must use, Fastify 5 with zod schemas through @fastify/type-provider-zod (request
 * validation and a validated response), and nothing else the service adds: no logging, metrics,
 * rate limits, security headers, CORS, idempotency, OpenAPI or outcome delivery. It makes the same
 * three Flinks calls (minimal-core.ts) and keeps the same contract subset, so its throughput
 * against minimal-bff.ts is what the framework and schema validation cost by themselves.
 */

const PersonName = z
  .string()
  .refine((value) => !INVISIBLE.test(value), 'must have no control or invisible characters')
  .transform((value) => value.trim())
  .pipe(z.string().min(1).max(100).regex(LETTER, 'must have a letter'));

const CheckoutBody = z.strictObject({
  // The JSON parser below hands the amount over as the literal written, never as a rounded float.
  amount: z.string().transform((value, ctx) => {
    const canonical = canonicalAmount(value);
    if (canonical === undefined) ctx.addIssue({ code: 'custom', message: 'must be a positive CAD amount, at most 2 decimals and 1000000.00' });
    return canonical ?? '';
  }),
  customer: z.strictObject({
    firstName: PersonName,
    middleName: PersonName.optional(),
    lastName: PersonName,
    email: z.string().max(100).regex(EMAIL, 'is not a valid e-mail'),
  }),
  referenceId: z.string().regex(REFERENCE_ID).optional(),
});

const Created = z.object({ requestId: z.string(), launchUrl: z.string() });
const Status = z.object({ requestId: z.string(), status: z.string(), referenceId: z.string(), final: z.boolean() });
const Problem = z.object({ type: z.string(), title: z.string(), status: z.number(), detail: z.string(), instance: z.string(), requestId: z.string() }).loose();

const options: FastifyServerOptions = {
  logger: false,
  bodyLimit: BODY_LIMIT,
  genReqId: (req) => requestIdOf(req.headers['x-request-id']),
  requestIdHeader: false,
};
const app = Fastify(options).withTypeProvider<ZodTypeProvider>();
app.setValidatorCompiler(validatorCompiler);
app.setSerializerCompiler(serializerCompiler);

// JSON only: any other media type is a 415, as in the contract.
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text: string, done) => {
  try {
    const body: unknown = JSON.parse(text);
    const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
    const amount = isObject ? (body as { amount?: unknown }).amount : undefined;
    const literal = typeof amount === 'number' ? amountAsWritten(amount, text) : undefined;
    done(null, literal === undefined ? body : { ...(body as object), amount: literal });
  } catch {
    done(new HttpError(400, 'The body is not valid JSON.'), undefined);
  }
});

app.addHook('onSend', (request, reply, _payload, done) => {
  reply.header('cache-control', 'no-store').header('x-request-id', request.id);
  done();
});

app.setErrorHandler((error: FastifyError, request, reply) => {
  let failure: unknown = error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues: readonly { instancePath: string; message?: string }[] = error.validation;
    const errors = issues.map((issue) => ({ path: issue.instancePath.split('/').filter(Boolean).join('.'), message: issue.message ?? 'is invalid' }));
    failure = new HttpError(400, `The ${error.validationContext ?? 'request'} has ${errors.length} invalid field(s).`, errors);
  } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    failure = new HttpError(415, 'Send JSON.');
  } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    failure = new HttpError(413, 'The request body is larger than the limit.');
  }
  const problem = problemOf(failure, request.url, request.id);
  return reply.code(problem.status).type('application/problem+json').send(problem);
});

app.post('/checkout', { schema: { body: CheckoutBody, response: { 201: Created, '4xx': Problem, '5xx': Problem } } }, async (request, reply) => {
  const { customer, amount, referenceId } = request.body;
  const customerName = [customer.firstName, customer.middleName, customer.lastName].filter(Boolean).join(' ');
  const created = await createCheckout(request.id, { amount, customerName, customerEmail: customer.email, referenceId: referenceId ?? crypto.randomUUID() });
  return reply.code(201).header('location', `/checkout/${created.requestId}`).send(created);
});

app.get(
  '/checkout/:requestId',
  { schema: { params: z.object({ requestId: z.string() }), response: { 200: Status, '4xx': Problem, '5xx': Problem } } },
  (request) => readStatus(request.id, request.params.requestId),
);

app.get('/health', () => ({ status: 'ok' }));

await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
process.on('SIGTERM', () => {
  void app
    .close()
    .then(closeUpstream)
    .then(() => process.exit(0));
});
