import { serializerCompiler, validatorCompiler } from '@fastify/type-provider-zod';
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { requestIdFor } from '../../observability/logger.js';
import { zodOnlySchemas } from '../zod-compilers.js';
import { frameworkErrorHandler, handleClientError } from './early-errors.js';
import { errorHandlerPlugin, pathOf, problemAnswer } from './error-handler.js';
import { hostHeaderPlugin } from './host-header.js';
import { requestIdPlugin } from './request-id.js';

export interface MetricsListenerOptions {
  /** METRICS_PORT; absent: /metrics is a route of the main server and listen() does nothing. */
  port?: number;
  host: string;
  /** The /metrics route, registered on the metrics server. */
  routes: FastifyPluginAsync<{ registry: Registry }>;
}

export interface MetricsListener {
  /** Starts the metrics server (server.ts, after the main listen); resolves to its address, if any. */
  listen(): Promise<string | undefined>;
}

/**
 * With METRICS_PORT, /metrics lives on a small server of its own, for the scraper inside the
 * cluster: the public port never shows heap sizes, versions or per-route counts. It is built with
 * the app but listens only when told to (buildApp never listens), and closes with the app.
 */
export const metricsListenerPlugin = fp(
  async (app: FastifyInstance, options: MetricsListenerOptions) => {
    const { port } = options;
    if (port === undefined) {
      app.decorate('metricsListener', { listen: () => Promise.resolve(undefined) });
      return;
    }
    const server = Fastify({
      loggerInstance: app.log.child({ listener: 'metrics' }),
      // A scrape every few seconds would drown the logs.
      logController: new LogController({ disableRequestLogging: true }),
      schemaController: zodOnlySchemas,
      // Answers and errors are shaped as on the main port: a request id on each, problem+json.
      genReqId: requestIdFor,
      requestIdHeader: false,
      frameworkErrors: frameworkErrorHandler(),
      clientErrorHandler: handleClientError,
      http: { requireHostHeader: false },
    });
    server.setValidatorCompiler(validatorCompiler);
    server.setSerializerCompiler(serializerCompiler);
    await server.register(requestIdPlugin);
    await server.register(hostHeaderPlugin);
    await server.register(errorHandlerPlugin);
    server.setNotFoundHandler((request, reply) =>
      problemAnswer(request, reply, {
        code: 'not-found',
        status: 404,
        detail: `There is no ${request.method} ${pathOf(request)} endpoint on the metrics port; scrape GET /metrics.`,
      }),
    );
    await server.register(options.routes, { registry: app.metrics.registry });
    app.decorate('metricsListener', { listen: () => server.listen({ port, host: options.host }) });
    app.addHook('onClose', () => server.close());
  },
  { name: 'metrics-listener', dependencies: ['metrics'] },
);

declare module 'fastify' {
  interface FastifyInstance {
    metricsListener: MetricsListener;
  }
}
