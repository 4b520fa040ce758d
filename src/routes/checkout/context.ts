import type { FastifyRequest } from 'fastify';
import { recordUpstreamCall } from '../../observability/access-log.js';
import type { CallContext } from '../../upstream/flinks-pay/client.js';

/**
 * What an upstream call needs of the request it serves: its logger and id travel along, and a
 * successful call is listed on the request's access line rather than on a line of its own.
 */
export function contextOf(request: FastifyRequest): CallContext {
  return { log: request.log, requestId: request.id, record: (call) => { recordUpstreamCall(request, call); } };
}

/**
 * For a request that stays open (an event stream): its polls log a line each as they happen, since
 * its access line is written only when the stream ends.
 */
export function streamContextOf(request: FastifyRequest): CallContext {
  return { log: request.log, requestId: request.id };
}
