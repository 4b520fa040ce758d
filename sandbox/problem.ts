import type { FastifyReply } from 'fastify';

/*
 * Flinks Pay v2 answers errors with RFC 7807 ProblemDetails; v1 documents none, so the sandbox
 * uses the v2 shape everywhere. Validation failures add an `errors` map (field → messages), the
 * usual ValidationProblemDetails extension, so a failing test says which field was wrong.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: Record<string, string[]>;
}

export class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extra: { errors?: Record<string, string[]>; challenge?: 'Basic' | 'Bearer' } = {},
  ) {
    super(detail);
    this.name = 'SandboxError';
  }
}

export function problemBody(status: number, detail: string, errors?: Record<string, string[]>): ProblemBody {
  return {
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(errors ? { errors } : {}),
  };
}

export function sendProblem(
  reply: FastifyReply,
  status: number,
  detail: string,
  errors?: Record<string, string[]>,
): FastifyReply {
  return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problemBody(status, detail, errors)));
}

export const unauthorized = (detail: string, challenge: 'Basic' | 'Bearer'): SandboxError =>
  new SandboxError(401, detail, { challenge });
export const badRequest = (detail: string, errors?: Record<string, string[]>): SandboxError =>
  new SandboxError(400, detail, errors ? { errors } : {});
export const notFound = (detail: string): SandboxError => new SandboxError(404, detail);
export const conflict = (detail: string): SandboxError => new SandboxError(409, detail);
export const unsupportedMediaType = (detail: string): SandboxError => new SandboxError(415, detail);
