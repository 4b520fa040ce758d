import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { sendProblem } from '../plugins/app/error-handler.js';
import { ProblemSchema } from '../errors/problem.js';

export interface HealthRoutesOptions {
  /**
   * Dependencies that must answer for this instance to take traffic, by name (e.g. Flinks, Redis).
   * Each is called at most once per `cacheMs`, however often probes come.
   */
  readinessChecks: Record<string, () => Promise<boolean>>;
  cacheMs?: number;
}

const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
const ReadySchema = z.object({ status: z.literal('ready') }).meta({ id: 'Ready' });

export const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = (app, options) => {
  const cacheMs = options.cacheMs ?? 2000;
  let last: { at: number; failing: Promise<string[]> } | undefined;

  async function runChecks(): Promise<string[]> {
    const entries = Object.entries(options.readinessChecks);
    const results = await Promise.all(entries.map(([, check]) => check().catch(() => false)));
    return entries.filter((_, index) => !results[index]).map(([name]) => name);
  }

  function failingChecks(): Promise<string[]> {
    const now = Date.now();
    if (!last || now - last.at > cacheMs) last = { at: now, failing: runChecks() };
    return last.failing;
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
      summary: 'Readiness: configured, and Flinks Pay (and Redis, when configured) answer.',
      tags: ['operations'],
      response: { 200: ReadySchema, 503: ProblemSchema },
    },
    handler: async (request, reply) => {
      const failing = await failingChecks();
      if (failing.length === 0) return reply.send({ status: 'ready' as const });
      return sendProblem(request, reply, {
        code: 'not-ready',
        status: 503,
        detail: `Not answering: ${failing.join(', ')}. This instance should not receive traffic yet.`,
      });
    },
  });
  return Promise.resolve();
};
