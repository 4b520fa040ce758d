import { z } from 'zod';
import type { ProblemCode } from './app-errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const FieldErrorSchema = z
  .object({
    path: z.string().describe('Dotted path of the offending field, e.g. `customer.email`.'),
    message: z.string(),
  })
  .meta({ id: 'FieldError' });
export type FieldError = z.infer<typeof FieldErrorSchema>;

/** RFC 9457 problem details, as every 4xx/5xx of this service is shaped. */
export const ProblemSchema = z
  .object({
    type: z.string().describe('URI naming the kind of problem; stable, safe to branch on.'),
    title: z.string().describe('Short summary of the kind of problem.'),
    status: z.int().min(400).max(599).describe('The HTTP status code.'),
    detail: z.string().describe('What went wrong with this request, for a developer to read.'),
    instance: z.string().describe('The path of the request that failed.'),
    requestId: z.string().describe('Also sent as the `x-request-id` header; quote it in support requests.'),
    errors: z.array(FieldErrorSchema).optional().describe('On every 400 and only there: one entry per invalid field (or part of the request).'),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof ProblemSchema>;

const TITLES: Readonly<Record<ProblemCode, string>> = {
  'validation-failed': 'Invalid request',
  'not-found': 'Not found',
  'checkout-not-found': 'Checkout not found',
  'payload-too-large': 'Payload too large',
  'unsupported-media-type': 'Unsupported media type',
  'rate-limited': 'Too many requests',
  'upstream-error': 'Bad gateway',
  'upstream-timeout': 'Gateway timeout',
  'not-ready': 'Service unavailable',
  overloaded: 'Service unavailable',
  'idempotency-in-flight': 'Request in progress',
  'idempotency-mismatch': 'Idempotency key reused',
  'idempotency-unavailable': 'Service unavailable',
  'checkout-interrupted': 'Checkout interrupted',
  'upstream-unavailable': 'Service unavailable',
  'not-acceptable': 'Not acceptable',
  'invalid-intent': 'Invalid checkout intent',
  'invalid-webhook-signature': 'Invalid webhook signature',
  'ops-unauthorized': 'Unauthorized',
  'nothing-to-redeliver': 'Nothing to redeliver',
  'merchant-webhooks-off': 'Merchant webhooks off',
  'intent-keys-unavailable': 'Service unavailable',
  'records-unavailable': 'Service unavailable',
  'malformed-request': 'Malformed request',
  'request-timeout': 'Request timeout',
  'headers-too-large': 'Request header fields too large',
  'expectation-failed': 'Expectation failed',
  'method-not-implemented': 'Not implemented',
  'request-refused': 'Request refused',
  'internal-error': 'Internal server error',
};

function problemType(code: ProblemCode): string {
  return `urn:problem-type:flinks-pay-bff:${code}`;
}

export function buildProblem(input: {
  code: ProblemCode;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
}): Problem {
  return {
    type: problemType(input.code),
    title: TITLES[input.code],
    status: input.status,
    detail: input.detail,
    instance: input.instance,
    requestId: input.requestId,
    ...(input.errors ? { errors: input.errors } : {}),
  };
}
