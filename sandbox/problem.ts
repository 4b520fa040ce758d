import type { FastifyReply } from 'fastify';

/*
 * Flinks documents no v1 errors; its v2 API answers RFC 7807 ProblemDetails (§7), which is what an
 * ASP.NET Core server produces, so the simulator answers every error the way one would: `type` and
 * `title` from ASP.NET's defaults per status, and for invalid input a ValidationProblemDetails whose
 * `errors` maps each field to its messages.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

const VALIDATION_TITLE = 'One or more validation errors occurred.';

const RFC9110 = 'https://tools.ietf.org/html/rfc9110#section-';

/** [section of RFC 9110, title] as ASP.NET Core's ProblemDetails defaults give them. */
const DEFAULTS: Record<number, [string, string]> = {
  400: ['15.5.1', 'Bad Request'],
  401: ['15.5.2', 'Unauthorized'],
  404: ['15.5.5', 'Not Found'],
  409: ['15.5.10', 'Conflict'],
  413: ['15.5.14', 'Payload Too Large'],
  415: ['15.5.16', 'Unsupported Media Type'],
  500: ['15.6.1', 'An error occurred while processing your request.'],
  503: ['15.6.4', 'Service Unavailable'],
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Record<string, string[]>;
}

export class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | undefined,
    readonly extra: { errors?: Record<string, string[]>; challenge?: 'Basic' | 'Bearer' } = {},
  ) {
    super(detail ?? VALIDATION_TITLE);
    this.name = 'SandboxError';
  }
}

export function problemBody(status: number, detail?: string, errors?: Record<string, string[]>): ProblemBody {
  const [section, title] = DEFAULTS[status] ?? [undefined, 'Error'];
  return {
    type: section === undefined ? 'about:blank' : `${RFC9110}${section}`,
    title: errors ? VALIDATION_TITLE : title,
    status,
    ...(detail === undefined ? {} : { detail }),
    ...(errors ? { errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, status: number, detail?: string, errors?: Record<string, string[]>): FastifyReply {
  return reply
    .code(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problemBody(status, detail, errors)));
}

export const unauthorized = (detail: string, challenge: 'Basic' | 'Bearer'): SandboxError => new SandboxError(401, detail, { challenge });
/** A ValidationProblemDetails: every bad field in `errors`; `detail` only where one helps. */
export const invalid = (errors: Record<string, string[]>, detail?: string): SandboxError => new SandboxError(400, detail, { errors });
export const badRequest = (detail: string): SandboxError => new SandboxError(400, detail);
export const notFound = (detail: string): SandboxError => new SandboxError(404, detail);
export const conflict = (detail: string): SandboxError => new SandboxError(409, detail);
export const unsupportedMediaType = (detail: string): SandboxError => new SandboxError(415, detail);
