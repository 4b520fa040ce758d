import type { FastifyRequest } from 'fastify';
import type { CallContext } from '../../upstream/flinks-pay/client.js';

/** What an upstream call needs of the request it serves: its logger and id travel along. */
export function contextOf(request: FastifyRequest): CallContext {
  return { log: request.log, requestId: request.id };
}
