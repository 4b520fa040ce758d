import FakeTimers from '@sinonjs/fake-timers';
import { serializerCompiler, validatorCompiler } from '@fastify/type-provider-zod';
import Fastify from 'fastify';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import t from 'tap';
import type { Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { healthRoutes } from '../../src/routes/health.js';

/** A "Flinks" that accepts connections and reads requests but never answers; its sockets, for the test to inspect. */
async function silentUpstream(t: Test): Promise<{ url: string; sockets: Socket[]; received: () => string; close: () => void }> {
  const sockets: Socket[] = [];
  let data = '';
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const close = () => {
    for (const socket of sockets) socket.destroy();
    server.close();
  };
  t.teardown(close);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets, received: () => data, close };
}

t.test('GET /ready answers its 503 within the probe time limit when Flinks accepts connections but never answers', async (t) => {
  const flinks = await silentUpstream(t);
  const app = await buildApp(
    loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      FLINKS_BASE_URL: flinks.url,
      FLINKS_USERNAME: 'merchant',
      FLINKS_PASSWORD: 'pw',
      UPSTREAM_TIMEOUT_MS: '10000',
      MAX_EVENT_LOOP_DELAY_MS: '10000',
    }),
  );
  await app.ready();
  // Only timeouts are faked; I/O and immediates stay real, so the authorize really reaches the socket.
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'] });
  // In this order: the authorize still held by "Flinks" fails once its sockets close, so the app
  // can close without waiting for a timeout that only the fake clock could fire.
  t.teardown(async () => {
    clock.uninstall();
    flinks.close();
    await app.close();
  });

  const progress = { answered: false };
  const ready = app.inject({ method: 'GET', url: '/ready' }).finally(() => (progress.answered = true));
  const limitMs = 2900; // the kubelet's timeoutSeconds is 3 (deploy/kubernetes/deployment.yaml)
  while (!progress.answered && clock.now < limitMs) {
    await new Promise((resolve) => setImmediate(resolve));
    await clock.tickAsync(50);
  }
  t.ok(progress.answered, `answered within ${limitMs} ms (Flinks calls may take UPSTREAM_TIMEOUT_MS=10000)`);
  // Should it not have, let the upstream call time out, so the test ends instead of waiting forever.
  if (!progress.answered) await clock.tickAsync(60_000);
  const res = await ready;
  t.equal(res.statusCode, 503);
  t.match(res.json(), { status: 503, detail: /Not answering: Flinks Pay/ });
  t.match(flinks.received(), /^POST \/api\/v1\/authorize /, 'the check did ask Flinks');
  t.ok(flinks.sockets.length > 0 && flinks.sockets.every((socket) => !socket.destroyed), 'and its authorize was not aborted');
});

t.test('a readiness check that throws is down, and its error is logged rather than lost', async (t) => {
  const lines: { msg?: string; check?: string; err?: { message?: string } }[] = [];
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) } } });
  t.teardown(() => app.close());
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(healthRoutes, { readinessChecks: { flinks: () => Promise.reject(new Error('a bug in the check')) } });
  const res = await app.inject({ url: '/ready' });
  t.equal(res.statusCode, 503);
  t.match(res.json(), { detail: /Not answering: flinks\./ });
  t.match(lines, [{ msg: 'readiness check failed', check: 'flinks', err: { message: 'a bug in the check' } }]);
});
