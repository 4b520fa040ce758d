import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import t from 'tap';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/config.js';
import { Agent, request } from 'undici';
import { listening, newCheckout, postCheckout, setUp, validCheckout } from '../../support/build.js';
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

t.test('an event stream that ends after close() began does not keep its connection, and so close(), open', async (t) => {
  const { app, url, sandbox } = await listening(t);
  const requestId = await newCheckout(app);
  // A client that keeps idle connections for a minute, as a proxy's upstream pool does.
  const client = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
  t.teardown(() => client.destroy());
  // The stream's first status read is slow, so the stream ends (after that status) while closing.
  sandbox.control.inject('status', { kind: 'delay', ms: 300 });
  const stream = request(`${url}/checkout/${requestId}/events`, { headers: { accept: 'text/event-stream' }, dispatcher: client });
  await sandbox.control.waitForCall('status');
  const body = stream.then((answer) => answer.body.text());

  const started = performance.now();
  await app.close();
  const tookMs = performance.now() - started;
  t.match(await body, /event: status/, 'the stream ended normally');
  t.ok(tookMs < 5000, `close() took ${tookMs.toFixed(0)} ms, not the keep-alive timeout`);
});
