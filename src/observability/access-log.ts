import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** One Flinks call as a request's access line lists it. */
export interface UpstreamCallLine {
  step: string;
  /** The HTTP status Flinks answered; absent when it never answered (timeout, connection failure). */
  status?: number;
  durationMs: number;
  /** Only on a failed call: `rejected` (an error status or an unusable answer) or `timeout`. */
  outcome?: 'rejected' | 'timeout';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The Flinks calls this request made, listed on its access line (null until the first). */
    upstreamCalls: UpstreamCallLine[] | null;
  }
}

/** More than any request makes (a checkout: authorize, one re-authorize, initiate, paymentrequests). */
const MAX_CALLS_PER_LINE = 8;

/** Lists a Flinks call on the access line of the request it serves. */
export function recordUpstreamCall(request: FastifyRequest, call: UpstreamCallLine): void {
  const calls = (request.upstreamCalls ??= []);
  if (calls.length < MAX_CALLS_PER_LINE) calls.push(call);
}

/**
 * One info line per request, written when it ends: method, URL, client, status, time, and the
 * Flinks calls the request made. Fastify's default writes a line when a request arrives and another
 * when it ends, and each upstream call wrote its own: five lines per checkout, when a line costs
 * more CPU than most features do (`npm run bench`, profile). The arrival line is kept at debug, for
 * following a request that has not ended yet; failed upstream calls still log at once, at warn.
 */
export class AccessLogController extends LogController {
  constructor(skip: (request: FastifyRequest) => boolean) {
    super({ requestIdLogLabel: 'requestId', disableRequestLogging: skip });
  }

  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    logRequestCompleted(request, reply, error);
  }
}

/** The access line; also written by hand for answers Fastify's logging never sees (early-errors.ts). */
export function logRequestCompleted(
  request: FastifyRequest,
  reply: FastifyReply,
  error?: Error | null,
  /** The connection closed before the answer ended (cut-off-answers.ts). */
  cutOff?: { closedBeforeEnd: true },
): void {
  const line = { req: request, res: reply, responseTime: reply.elapsedTime, upstream: request.upstreamCalls ?? undefined, ...cutOff };
  if (error) reply.log.error({ ...line, err: error }, 'request errored');
  else reply.log.info(line, 'request completed');
}
