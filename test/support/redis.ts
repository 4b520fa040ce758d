import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Test } from 'tap';

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
