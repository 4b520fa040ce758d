import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Test } from 'tap';

/** A port nothing listens on right now (for a server a test starts itself). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Polls `check` until it holds (at most 15 s): for state that settles in the background. */
export async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  // performance.now(), not Date: a test may have stopped or moved Date with fake timers.
  const deadline = performance.now() + 15_000;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts `server` on a free loopback port for the rest of test `t` (its open connections are
 * closed at the end, so a request it holds on purpose cannot keep the test waiting); resolves to
 * the port.
 */
export async function listenOnLoopback(t: Test, server: HttpServer): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** A TCP relay from a free port to `target`, which the test can shut (every connection cut) and open again. */
export async function tcpRelay(t: Test, target: number) {
  const port = await freePort();
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const open = async () => {
    server = createServer((inbound) => {
      const outbound = createConnection({ port: target, host: '127.0.0.1' });
      track(inbound);
      track(outbound);
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
    }).listen(port, '127.0.0.1');
    await once(server, 'listening');
  };
  const shut = async () => {
    for (const socket of sockets) socket.destroy();
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  };
  t.teardown(shut);
  await open();
  return { port, open, shut };
}
