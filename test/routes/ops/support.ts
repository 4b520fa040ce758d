import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { buildTestApp, captureLogs, startSandbox, type RunningSandbox } from '../../support/build.js';
import { cleanRedisOnTeardown, freshPrefix, newWebhookSecret, REDIS_URL, startMerchant } from '../../outcomes/support.js';

/** Two tokens, as during a rotation; long enough for the config rule. */
export const TOKENS = ['ops-token-zero-0123456789abcdefghijklmnop', 'ops-token-one-0123456789abcdefghijklmnopq'] as const;

export const MODES = ['memory', 'redis'] as const;
export type Mode = (typeof MODES)[number];

export interface OpsSetUp {
  app: FastifyInstance;
  sandbox: RunningSandbox;
  logs: () => string[];
  merchant?: Awaited<ReturnType<typeof startMerchant>>;
  /** The Redis key prefix, in the redis mode. */
  prefix?: string;
}

/** A BFF with OPS_TOKENS in front of a sandbox, records in memory or Redis, logs captured at info. */
export async function setUpOps(t: Test, mode: Mode, options: { merchant?: boolean; env?: Record<string, string> } = {}): Promise<OpsSetUp> {
  const sandbox = await startSandbox(t);
  const logs = captureLogs();
  const prefix = freshPrefix();
  if (mode === 'redis') cleanRedisOnTeardown(t, prefix);
  const secret = newWebhookSecret();
  const merchant = options.merchant ? await startMerchant(t, secret) : undefined;
  const app = await buildTestApp(
    t,
    sandbox,
    {
      LOG_LEVEL: 'info',
      OPS_TOKENS: TOKENS.join(','),
      STATUS_CACHE_MS: '0',
      // Reconciliation stays out of the way: these tests read on purpose.
      RECONCILE_FIRST_DELAY_MS: '3600000',
      ...(mode === 'redis' ? { REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}),
      ...(merchant ? { MERCHANT_WEBHOOK_URL: merchant.url, MERCHANT_WEBHOOK_SECRET: secret, MERCHANT_WEBHOOK_RETRY_FIRST_MS: '20' } : {}),
      ...options.env,
    },
    { logStream: logs.stream },
  );
  await app.ready();
  return { app, sandbox, logs: logs.lines, ...(merchant ? { merchant } : {}), ...(mode === 'redis' ? { prefix } : {}) };
}

/** An ops call with `token` as bearer (null: no Authorization header). */
export function opsCall(app: FastifyInstance, method: 'GET' | 'POST', url: string, token: string | null = TOKENS[0]) {
  return app.inject({ method, url, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
}

/** The parsed audit lines written so far. */
export function auditLines(logs: () => string[]): Record<string, unknown>[] {
  return logs()
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.audit === 'ops');
}
