import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import type { Test } from 'tap';
import type { Teardownable } from './sandbox.js';

/** The machine's Redis (REDIS_URL), which the tests that need one share. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own, so tests sharing one Redis never see each other's keys or queues. */
export function freshPrefix(): string {
  return `test-${randomUUID().slice(0, 8)}:`;
}

/**
 * Deletes every key under `prefix` when the test ends. Teardowns run last-registered first, so
 * registered before the test starts its apps, it runs after they have closed (and written their last).
 */
export function cleanRedisOnTeardown(t: Teardownable, prefix: string): void {
  t.teardown(async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });
}

/** REDIS_URL and a fresh key prefix, for an app of this test: its keys are removed when the test ends. */
export function sharedRedisEnv(t: Teardownable): { REDIS_URL: string; REDIS_KEY_PREFIX: string } {
  const prefix = freshPrefix();
  cleanRedisOnTeardown(t, prefix);
  return { REDIS_URL, REDIS_KEY_PREFIX: prefix };
}

/**
 * A private, memory-only redis-server on `port` that the test may kill (Redis outages), killed at
 * the end; `extraArgs` are further redis-server options (e.g. `--requirepass`).
 */
export async function startRedis(t: Test, port: number, extraArgs: readonly string[] = []): Promise<ChildProcess> {
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => redis.kill('SIGKILL'));
  let output = '';
  for await (const chunk of redis.stdout) {
    output += (chunk as Buffer).toString();
    if (output.includes('Ready to accept connections')) return redis;
  }
  throw new Error(`redis-server did not start: ${output}`);
}

export async function stopRedis(redis: ChildProcess): Promise<void> {
  if (redis.exitCode !== null || redis.signalCode !== null) return;
  redis.kill('SIGKILL');
  await once(redis, 'exit');
}
