import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { problemAnswer } from '../plugins/app/error-handler.js';
import { ProblemSchema } from '../errors/problem.js';

type ReadinessState = 'ok' | 'down' | { problem: string };

/** A dependency's state for readiness: `ok`, `down` (not answering), or a sentence saying what is wrong. */
export type ReadinessCheck = () => Promise<ReadinessState>;

/**
 * How long /ready waits for one dependency. A Flinks that accepts connections but never answers
 * would hold the check for UPSTREAM_TIMEOUT_MS (10 s), while the kubelet gives up on the probe
 * after 3 s (deploy/kubernetes/deployment.yaml) and would never see the 503 saying why. Past
 * this, the dependency counts as not answering. The check itself is not aborted: the Flinks
 * probe is an authorize of its own, cached by the client, so the next probe takes its outcome.
 */
export const READINESS_CHECK_LIMIT_MS = 2000;

/**
 * The check's state, or `down` when it fails or has not answered within the limit. A check says
 * what it found by its state; one that throws is a fault of its own, logged (at most once per
 * probe cache period) rather than lost behind the `down`.
 */
async function withinLimit(name: string, check: ReadinessCheck, log: FastifyBaseLogger): Promise<ReadinessState> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'down'>((resolve) => {
    timer = setTimeout(() => {
      resolve('down');
    }, READINESS_CHECK_LIMIT_MS);
  });
  try {
    const checked = check().catch((error: unknown) => {
      log.warn({ err: error, check: name }, 'readiness check failed');
      return 'down' as const;
    });
    return await Promise.race([checked, late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface HealthRoutesOptions {
  /**
   * Dependencies that must work for this instance to take traffic, by name (e.g. Flinks, Redis).
   * Each is called at most once per `cacheMs`, however often probes come.
   */
  readinessChecks: Record<string, ReadinessCheck>;
  cacheMs?: number;
  now?: () => number;
}

const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
const ReadySchema = z.object({ status: z.literal('ready') }).meta({ id: 'Ready' });

export const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = (app, options) => {
  const cacheMs = options.cacheMs ?? 2000;
  let last: { at: number; problem: Promise<string | undefined> } | undefined;

  /** Why this instance is not ready, in one sentence per kind of failure; undefined when it is. */
  async function runChecks(): Promise<string | undefined> {
    const entries = Object.entries(options.readinessChecks);
    const results = await Promise.all(entries.map(([name, check]) => withinLimit(name, check, app.log)));
    const down = entries.filter((_, index) => results[index] === 'down').map(([name]) => name);
    const problems = results.flatMap((result) => (typeof result === 'object' ? [result.problem] : []));
    const sentences = [...(down.length > 0 ? [`Not answering: ${down.join(', ')}.`] : []), ...problems];
    return sentences.length === 0 ? undefined : sentences.join(' ');
  }

  function readinessProblem(): Promise<string | undefined> {
    const now = (options.now ?? Date.now)();
    if (!last || now - last.at > cacheMs) last = { at: now, problem: runChecks() };
    return last.problem;
  }

  app.get('/health', {
    schema: {
      operationId: 'getHealth',
      summary: 'Liveness: the process is up. Never calls Flinks.',
      tags: ['operations'],
      response: { 200: HealthSchema },
    },
    handler: () => ({ status: 'ok' as const }),
  });

  app.get('/ready', {
    schema: {
      operationId: 'getReadiness',
      summary: 'Readiness: Flinks Pay accepts the credentials (and Redis, when configured, answers).',
      description:
        "Flinks counts as ready when an authorize succeeded within about a minute (a checkout's counts); probes " +
        'never authorize more often than that. A 503 says which dependency fails, and names refused credentials as such.',
      tags: ['operations'],
      response: { 200: ReadySchema, 503: ProblemSchema },
    },
    handler: async (request, reply) => {
      const problem = await readinessProblem();
      if (problem === undefined) return { status: 'ready' as const };
      // The answer is kept for cacheMs: asking again sooner hears the same.
      reply.header('retry-after', String(Math.max(1, Math.ceil(cacheMs / 1000))));
      return problemAnswer(request, reply, {
        code: 'not-ready',
        status: 503,
        detail: `${problem} This instance should not receive traffic yet.`,
      });
    },
  });
  return Promise.resolve();
};
