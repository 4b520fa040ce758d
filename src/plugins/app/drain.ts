import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * While the server closes, every response it still sends asks the client to drop the
 * connection. Otherwise an idle keep-alive connection that finished its request after close()
 * began would hold the process open until the keep-alive timeout.
 *
 * A connection that has not sent a byte yet is ended when closing starts: Node counts it as
 * waiting for a request, not as idle, so close() would wait for it until REQUEST_TIMEOUT_MS. Load
 * balancers open such connections ahead of time, and so does the upstream client's pool after a
 * timed-out call (reaching this same server in sandbox mode).
 *
 * A response whose headers went out before closing began (an event stream) cannot ask for that;
 * when it ends, its connection is idle but close() has already swept the idle ones once. So while
 * closing, idle connections are swept again every IDLE_SWEEP_MS.
 */
const IDLE_SWEEP_MS = 100;

export const drainPlugin = fp(
  (app: FastifyInstance) => {
    let isClosing = false;
    const open = new Set<Socket>();
    app.server.on('connection', (socket: Socket) => {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
    });
    app.addHook('preClose', (done) => {
      isClosing = true;
      for (const socket of open) if (socket.bytesRead === 0) socket.destroy();
      // Only while listening: the server's 'close', which ends the sweeps, comes only then.
      if (app.server.listening) {
        const sweeper = setInterval(() => {
          app.server.closeIdleConnections();
        }, IDLE_SWEEP_MS).unref();
        app.server.once('close', () => {
          clearInterval(sweeper);
        });
      }
      done();
    });
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (isClosing) reply.header('connection', 'close');
      done(null, payload);
    });
    return Promise.resolve();
  },
  { name: 'drain' },
);
