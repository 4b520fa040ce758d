import { hasZodFastifySchemaValidationErrors } from '@fastify/type-provider-zod';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, InputRefusedError, type ProblemCode } from '../../errors/app-errors.js';
import { buildProblem, PROBLEM_CONTENT_TYPE, type FieldError, type Problem } from '../../errors/problem.js';

/** Fastify's own client errors, with the problem code each one becomes (and a 400's field error). */
const FASTIFY_CLIENT_ERRORS: Readonly<Record<string, { code: ProblemCode; detail?: string; errors?: FieldError[] }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload-too-large', detail: 'The request body is larger than the limit.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported-media-type',
    detail: 'Send the body as JSON with Content-Type: application/json.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'validation-failed',
    detail: 'The body is not valid JSON.',
    errors: [{ path: 'body', message: 'is not valid JSON' }],
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'validation-failed',
    detail: 'The body is empty; send a JSON object.',
    errors: [{ path: 'body', message: 'is empty' }],
  },
};

/** Payment answers and errors must never be kept by a browser or a shared cache. */
export const NO_STORE = 'no-store';

/*
 * A 400 names at most this many fields, each path cut to a readable length, so a body full of
 * unknown keys cannot make the answer larger than the question.
 */
const MAX_LISTED_ERRORS = 20;
const MAX_PATH_LENGTH = 100;

type ProblemInput = { code: ProblemCode; status: number; detail: string; errors?: FieldError[] };

/** The request's path, without its query: a problem's `instance`, and what a 404 names. */
export function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? '/';
}

/**
 * Sets a problem's status and content type on `reply` and returns its body, for a handler (or the
 * error handler) to return. Returning the body, not the reply: Fastify would await a returned reply
 * by watching the socket until the answer ends, whenever an asynchronous onSend hook delays it.
 */
export function problemAnswer(request: FastifyRequest, reply: FastifyReply, problem: ProblemInput): Problem {
  reply.code(problem.status).type(PROBLEM_CONTENT_TYPE);
  return buildProblem({ ...problem, instance: pathOf(request), requestId: request.id });
}

/** Sends a problem at once, where nothing takes a return value (Fastify's framework errors). */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: ProblemInput): void {
  reply.send(problemAnswer(request, reply, problem));
}

function fieldErrors(error: FastifyError & { validation: { instancePath: string; message?: string; keyword: string; params: object }[] }): FieldError[] {
  return error.validation.flatMap((issue) => {
    const base = issue.instancePath.split('/').filter(Boolean).join('.');
    if (issue.keyword === 'unrecognized_keys' && 'keys' in issue.params && Array.isArray(issue.params.keys)) {
      return issue.params.keys.map((key) => ({
        path: base ? `${base}.${String(key)}` : String(key),
        message: 'is not a known field',
      }));
    }
    return [{ path: base || (error.validationContext ?? 'body'), message: issue.message ?? 'is invalid' }];
  });
}

/**
 * A 503 turns work away for a state logged where it arose (an open circuit, Redis down, load
 * shed): a warn per refusal, not an error per poll of every browser while it lasts. Other 5xx are
 * this request's failure.
 */
function logLevelOf(status: number): 'info' | 'warn' | 'error' {
  if (status === 503) return 'warn';
  return status >= 500 ? 'error' : 'info';
}

/** The start of a 400's detail, by the part of the request its schema judged. */
const WHERE_INVALID: Readonly<Record<string, string>> = {
  body: 'The body has',
  params: 'The path has',
  querystring: 'The query string has',
  headers: 'The headers have',
};

function shortened(path: string): string {
  return path.length <= MAX_PATH_LENGTH ? path : `${path.slice(0, MAX_PATH_LENGTH)}…`;
}

function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): Problem {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const all = fieldErrors(error);
    const errors = all.slice(0, MAX_LISTED_ERRORS).map((e) => ({ ...e, path: shortened(e.path) }));
    const where = WHERE_INVALID[error.validationContext ?? ''] ?? 'The request has';
    const count = `${all.length} invalid field${all.length === 1 ? '' : 's'}`;
    const listed = errors.length < all.length ? `; the first ${errors.length} are listed` : '';
    return problemAnswer(request, reply, {
      code: 'validation-failed',
      status: 400,
      detail: `${where} ${count}${listed}: ${errors.map((e) => e.path).join(', ')}.`,
      errors,
    });
  }
  if (error instanceof AppError) {
    request.log[logLevelOf(error.status)]({ err: error, problem: error.code }, error.message);
    reply.headers(error.headers);
    return problemAnswer(request, reply, {
      code: error.code,
      status: error.status,
      detail: error.message,
      ...(error instanceof InputRefusedError ? { errors: [...error.errors] } : {}),
    });
  }
  const known = FASTIFY_CLIENT_ERRORS[error.code];
  const status = error.statusCode ?? 500;
  if (known ?? (status >= 400 && status < 500)) {
    const detail = known?.detail ?? error.message;
    // Every 400 lists what was wrong, as the contract has it; Fastify's own say it of the request.
    const errors = known?.errors ?? (status === 400 ? [{ path: 'request', message: detail }] : undefined);
    const code = known?.code ?? (status === 400 ? 'validation-failed' : 'request-refused');
    return problemAnswer(request, reply, { code, status, detail, ...(errors ? { errors } : {}) });
  }
  request.log.error({ err: error }, 'unhandled error');
  return problemAnswer(request, reply, {
    code: 'internal-error',
    status: 500,
    detail: 'An unexpected error occurred. Quote the requestId if you contact support.',
  });
}

/** The one error handler: every error a client sees is RFC 9457 problem+json. */
export const errorHandlerPlugin = fp(
  (app: FastifyInstance) => {
    app.setErrorHandler(handleError);
    return Promise.resolve();
  },
  { name: 'error-handler' },
);
