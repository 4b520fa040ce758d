import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import type { OutcomeMetrics } from '../../src/outcomes/metrics.js';
import { REDIS_URL } from '../support/redis.js';
import type { Teardownable } from '../support/sandbox.js';

export { cleanRedisOnTeardown, freshPrefix, REDIS_URL } from '../support/redis.js';

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  event: { type: string; timestamp: string; data: { requestId: string; status: string; referenceId: string; final: boolean; reason?: string } };
}

/** What the merchant answers a delivery: a status code, the same after a while, or nothing at all (the request hangs). */
export type MerchantAnswer = number | { status: number; afterMs: number } | 'hang';

/**
 * A merchant backend on a free port: verifies every webhook with the `standardwebhooks` package
 * (as a merchant would), records the verified ones and answers as told.
 */
export async function startMerchant(t: Teardownable, secret: string, answer: (body: ReceivedWebhook['event'], attempt: number) => MerchantAnswer = () => 204) {
  const verifier = new Webhook(secret);
  const received: ReceivedWebhook[] = [];
  const attempts: ReceivedWebhook[] = [];
  const rejected: string[] = [];
  const hanging = new Set<ServerResponse>();
  let notify: (() => void) | undefined;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
      let event: ReceivedWebhook['event'];
      try {
        event = verifier.verify(body, headers) as ReceivedWebhook['event'];
      } catch (error) {
        rejected.push(String(error));
        response.writeHead(400).end();
        notify?.();
        return;
      }
      const webhook = { headers, body, event };
      attempts.push(webhook);
      const outcome = answer(event, attempts.length);
      const respond = (status: number) => {
        if (status >= 200 && status < 300) received.push(webhook);
        response.writeHead(status).end();
      };
      if (outcome === 'hang') {
        hanging.add(response);
      } else if (typeof outcome === 'number') {
        respond(outcome);
      } else {
        hanging.add(response);
        setTimeout(() => {
          hanging.delete(response);
          respond(outcome.status);
        }, outcome.afterMs);
      }
      notify?.();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    for (const response of hanging) response.destroy();
    server.closeAllConnections();
    server.close();
    await once(server, 'close').catch(() => undefined);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    /** Verified webhooks answered 2xx, in arrival order. */
    received,
    /** Every verified attempt, whatever the answer. */
    attempts,
    rejected,
    /** Waits (without polling) until `predicate` holds, checked after each request. */
    async waitFor(predicate: () => boolean, what = 'merchant webhooks', timeoutMs = 20_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}; attempts: ${JSON.stringify(attempts.map((a) => a.event.data.status))}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          notify = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
  };
}

/** Polls `read` (a store lookup, never an upstream call) until `done` holds; for background work with no event to wait on. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How many reconciliation steps ended with `outcome` (`reconcile_steps_total`). */
export async function stepsEnded({ metrics }: { metrics: OutcomeMetrics }, outcome: string): Promise<number> {
  const { values } = await metrics.reconcileSteps.get();
  return values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
}

/** A BullMQ handle on one of the service's queues (to inspect jobs), closed when the test ends. */
export function openQueue(t: Teardownable, name: 'reconcile' | 'merchant-webhooks', prefix: string): Queue {
  const url = new URL(REDIS_URL);
  const queue = new Queue(name, { connection: { host: url.hostname, port: Number(url.port || 6379) }, prefix: `${prefix}bull` });
  t.teardown(() => queue.close());
  return queue;
}
