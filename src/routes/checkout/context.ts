import type { FastifyRequest } from 'fastify';
import { recordUpstreamCall } from '../../observability/access-log.js';
import type { CallContext } from '../../upstream/flinks-pay/client.js';

/**
 * What an upstream call needs of the request it serves: its logger and id travel along, and a
 * successful call is listed on the request's access line rather than on a line of its own.
 */
export function contextOf(request: FastifyRequest): CallContext {
  return {
    log: request.log,
    requestId: request.id,
    record: (call) => {
      recordUpstreamCall(request, call);
    },
  };
}

/**
 * For upstream calls the request's access line cannot list: an event stream's polls (its line is
 * written only when the stream ends) and the read a Flinks webhook triggers (after its 202). Each
 * call logs a line of its own, under the request's id.
 */
export function backgroundContextOf(request: FastifyRequest): CallContext {
  return { log: request.log, requestId: request.id };
}
