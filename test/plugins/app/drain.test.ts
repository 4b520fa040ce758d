import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import t from 'tap';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/config.js';
import { postCheckout, setUp, validCheckout } from '../../support/build.js';
import { freePort } from '../../support/net.js';

/** A raw connection to `port` that sends nothing; resolves once it is open. */
async function silentConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

t.test('a connection that never sent a byte does not hold close() open', async (t) => {
  const { app } = await setUp(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  const silent = await silentConnection(address.port);
  const closedBySever = once(silent, 'close');

  const started = performance.now();
  await app.close();
  const tookMs = performance.now() - started;
  await closedBySever;
  t.ok(tookMs < 2000, `close() took ${tookMs.toFixed(0)} ms, not REQUEST_TIMEOUT_MS`);
});

t.test('in sandbox mode, a timed-out Flinks call leaves nothing that holds close() open', async (t) => {
  // The embedded sandbox's amount 15.15 never answers sessions/initiate; the client gives up after
  // 300 ms, and its pool then opens a fresh connection to this same server, which sends nothing.
  const port = await freePort();
  const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: String(port), HOST: '127.0.0.1', UPSTREAM_TIMEOUT_MS: '300' }));
  t.teardown(() => app.close());
  await app.listen({ port, host: '127.0.0.1' });
  t.equal((await postCheckout(app, validCheckout({ amount: '15.15' }))).statusCode, 504);
  await new Promise((resolve) => setTimeout(resolve, 500));

  const started = performance.now();
  await app.close();
  const tookMs = performance.now() - started;
  t.ok(tookMs < 2000, `close() took ${tookMs.toFixed(0)} ms`);
});
