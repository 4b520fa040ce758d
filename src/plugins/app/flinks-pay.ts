import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createFlinksPayClient, type CredentialsState, type FlinksPayClient, type FlinksPayClientOptions } from '../../upstream/flinks-pay/client.js';

/** `app.flinksPay`: the one client that speaks to Flinks Pay, closed with the app. */
export const flinksPayPlugin = fp(
  (app: FastifyInstance, options: Omit<FlinksPayClientOptions, 'log' | 'observe' | 'onTokenTake'>) => {
    const { metrics } = app;
    const client = createFlinksPayClient({
      ...options,
      log: app.log,
      observe: (step, outcome, seconds) => {
        metrics.upstreamDuration.observe({ step, outcome }, seconds);
      },
      onTokenTake: (isHit) => {
        (isHit ? metrics.tokenPoolHits : metrics.tokenPoolMisses).inc();
      },
    });
    metrics.observeCircuits(client.circuitStates);
    metrics.observeUpstreamQueue(client.queuedCalls);
    metrics.observeTokenPool(() => client.tokenPoolSize);
    app.decorate('flinksPay', client);
    app.addHook('onClose', () => client.close());
    return Promise.resolve();
  },
  { name: 'flinks-pay', dependencies: ['metrics'] },
);

/** What /ready says of Flinks: a refusal of the credentials is named as such, never shown. */
export function readinessOfFlinks(state: CredentialsState): 'ok' | 'down' | { problem: string } {
  if (state === 'accepted') return 'ok';
  if (state === 'unreachable') return 'down';
  return { problem: 'Flinks Pay refused the configured credentials: check FLINKS_USERNAME and FLINKS_PASSWORD (and FLINKS_INSTANCE, when set).' };
}

declare module 'fastify' {
  interface FastifyInstance {
    flinksPay: FlinksPayClient;
  }
}
