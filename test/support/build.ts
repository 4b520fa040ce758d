import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { buildApp, type AppDeps } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { startSandbox, type RunningSandbox } from './sandbox.js';

export { startSandbox, type RunningSandbox };

/** Environment of a BFF pointed at `sandbox`, quiet and with short timeouts. */
export function testEnv(sandbox: RunningSandbox, env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    FLINKS_BASE_URL: sandbox.url,
    FLINKS_APP_URL: 'https://pay.example.test',
    FLINKS_USERNAME: 'sandbox',
    FLINKS_PASSWORD: 'sandbox',
    UPSTREAM_TIMEOUT_MS: '1000',
    // Tests share two cores with each other and a browser: a busy event loop there is not overload.
    MAX_EVENT_LOOP_DELAY_MS: '10000',
    ...env,
  };
}

/** A BFF built against `sandbox` (use `app.inject`), closed when the test ends. */
export async function buildTestApp(t: Test, sandbox: RunningSandbox, env: Record<string, string> = {}, deps: AppDeps = {}): Promise<FastifyInstance> {
  const app = await buildApp(loadConfig(testEnv(sandbox, env)), deps);
  t.teardown(() => app.close());
  return app;
}

/** A sandbox and a BFF in front of it, the usual starting point of a test. */
export async function setUp(t: Test, env: Record<string, string> = {}, deps: AppDeps = {}) {
  const sandbox = await startSandbox(t);
  const app = await buildTestApp(t, sandbox, env, deps);
  return { sandbox, app, control: sandbox.control };
}

/** Collects every JSON log line the app writes. */
export function captureLogs(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

export const validCheckout = (overrides: Record<string, unknown> = {}) => ({
  amount: '12.34',
  customer: { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' },
  ...overrides,
});

/** POST /checkout with a JSON body; `remoteAddress` is the client's address (inject's default otherwise). */
export function postCheckout(app: FastifyInstance, body: unknown, headers: Record<string, string> = {}, remoteAddress?: string) {
  return app.inject({
    method: 'POST',
    url: '/checkout',
    ...(remoteAddress !== undefined && { remoteAddress }),
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A sandbox and a BFF in front of it listening on a free port (for streams over real sockets), with 100 ms status polls. */
export async function listening(t: Test, env: Record<string, string> = {}) {
  const sandbox = await startSandbox(t);
  const app = await buildTestApp(t, sandbox, { STATUS_POLL_INTERVAL_MS: '100', ...env });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { sandbox, app, url };
}

/** Creates a checkout and returns its requestId. */
export async function newCheckout(app: FastifyInstance): Promise<string> {
  return (await postCheckout(app, validCheckout())).json<{ requestId: string }>().requestId;
}
