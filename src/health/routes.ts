import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { sendProblem } from '../errors/error-handler.js';
import { ProblemSchema } from '../errors/problem.js';

export interface HealthRoutesOptions {
  /** Whether the upstream answers; called at most once per `cacheMs`, however often probes come. */
  isUpstreamReachable: () => Promise<boolean>;
  cacheMs?: number;
}

const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
const ReadySchema = z.object({ status: z.literal('ready') }).meta({ id: 'Ready' });

export const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = (app, options) => {
  const cacheMs = options.cacheMs ?? 2000;
  let last: { at: number; reachable: Promise<boolean> } | undefined;

  function upstreamReachable(): Promise<boolean> {
    const now = Date.now();
    if (!last || now - last.at > cacheMs) last = { at: now, reachable: options.isUpstreamReachable() };
    return last.reachable;
  }

  app.get('/health', {
    schema: {
      summary: 'Liveness: the process is up. Never calls Flinks.',
      tags: ['operations'],
      response: { 200: HealthSchema },
    },
    handler: () => ({ status: 'ok' as const }),
  });

  app.get('/ready', {
    schema: {
      summary: 'Readiness: configured and Flinks Pay is reachable.',
      tags: ['operations'],
      response: { 200: ReadySchema, 503: ProblemSchema },
    },
    handler: async (request, reply) => {
      if (await upstreamReachable()) return reply.send({ status: 'ready' as const });
      return sendProblem(request, reply, {
        code: 'not-ready',
        status: 503,
        detail: 'Flinks Pay does not answer; this instance should not receive traffic yet.',
      });
    },
  });
  return Promise.resolve();
};
