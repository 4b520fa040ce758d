import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * While the server closes, every response it still sends asks the client to drop the
 * connection. Otherwise an idle keep-alive connection that finished its request after close()
 * began would hold the process open until the keep-alive timeout.
 */
export const drainPlugin = fp(
  (app: FastifyInstance) => {
    let isClosing = false;
    app.addHook('preClose', (done) => {
      isClosing = true;
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
