import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { CheckoutStatus } from '../src/checkout/schemas.js';
import { createOutcomeDelivery, type OutcomeDelivery } from '../src/outcomes/outcome-delivery.js';
import { redisIfReachable, removeKeysAndDisconnect } from './redis.js';
import type { Target } from './report.js';

/*
 * The outcomes part of `npm run bench`, in this process against Redis (REDIS_URL or 127.0.0.1;
 * in memory when none answers): 10,000 open checkouts reconciled through the job queue with a fake
 * Flinks read (10 ms) against an upstream budget, and merchant webhooks delivered to a local receiver.
 */

const HOUR = 60 * 60 * 1000;
const log = pino({ level: 'warn' }) as unknown as FastifyBaseLogger;

export interface OutcomeBenchSettings {
  checkouts: number;
  /** Reconciliation reads per second allowed (RECONCILE_MAX_PER_SECOND). */
  budgetPerSecond: number;
  deliveries: number;
}

function delivery(redis: Redis | undefined, url: string, prefix: string, settings: OutcomeBenchSettings, merchantUrl?: string) {
  return createOutcomeDelivery({
    reconcile: { firstDelayMs: 1, maxDelayMs: 1000, maxAgeMs: 168 * HOUR, freshForMs: 0, concurrency: 32, maxPerSecond: settings.budgetPerSecond },
    delivery: { retryFirstMs: 1000, retryMaxMs: HOUR, maxAgeMs: 72 * HOUR, timeoutMs: 5000, concurrency: 16 },
    ...(merchantUrl ? { merchant: { url: merchantUrl, secrets: [`whsec_${Buffer.from(randomUUID()).toString('base64')}`] } } : {}),
    ...(redis ? { redis: { url, keyPrefix: prefix, shared: redis } } : {}),
    memoryMaxEntries: 100_000,
    registry: new Registry(),
    log,
    userAgent: 'flinks-pay-checkout-bff/bench',
  });
}

/** In batches, so 10,000 checkouts do not open 10,000 Redis calls at once. */
async function inBatches(count: number, run: (index: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < count; start += 200) {
    await Promise.all(Array.from({ length: Math.min(200, count - start) }, (_, offset) => run(start + offset)));
  }
}

async function reconcileBench(redis: Redis | undefined, url: string, prefix: string, settings: OutcomeBenchSettings) {
  const outcomes: OutcomeDelivery = await delivery(redis, url, prefix, settings);
  const readsAt: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  await inBatches(settings.checkouts, (index) => outcomes.records.start(`bench-${index}`, { referenceId: `order-${index}`, createdAt: Date.now() }));
  const started = performance.now();
  outcomes.start(async (_ctx, requestId) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    readsAt.push(performance.now());
    await sleep(10);
    inFlight -= 1;
    const status: CheckoutStatus = { requestId, status: 'Settled', referenceId: requestId.replace('bench-', 'order-'), final: true };
    await outcomes.observe(status, 'reconcile');
    return status;
  });
  const deadline = started + 10 * 60_000;
  while (readsAt.length < settings.checkouts && performance.now() < deadline) await sleep(100);
  const elapsedS = (performance.now() - started) / 1000;
  await outcomes.close();
  // The busiest second: most reads that started within any 1000 ms.
  let peak = 0;
  for (let first = 0, last = 0; last < readsAt.length; last += 1) {
    while ((readsAt[last] ?? 0) - (readsAt[first] ?? 0) >= 1000) first += 1;
    peak = Math.max(peak, last - first + 1);
  }
  return { reads: readsAt.length, elapsedS, peak, maxInFlight };
}

async function deliveryBench(redis: Redis | undefined, url: string, prefix: string, settings: OutcomeBenchSettings) {
  let received = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received += 1;
      response.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const outcomes = await delivery(redis, url, prefix, settings, `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`);
  outcomes.start(() => Promise.reject(new Error('no reads in this part')));
  await inBatches(settings.deliveries, (index) => outcomes.records.start(`bench-d-${index}`, { referenceId: `order-d-${index}`, createdAt: Date.now() }));
  const started = performance.now();
  await inBatches(settings.deliveries, (index) =>
    outcomes.observe({ requestId: `bench-d-${index}`, status: 'Settled', referenceId: `order-d-${index}`, final: true }, 'read'),
  );
  const deadline = started + 5 * 60_000;
  while (received < settings.deliveries && performance.now() < deadline) await sleep(20);
  const elapsedS = (performance.now() - started) / 1000;
  await outcomes.close();
  server.close();
  return { received, elapsedS };
}

/** Runs both measurements; returns the report section and its targets. */
export async function runOutcomes(settings: OutcomeBenchSettings, say: (line: string) => void): Promise<{ section: string; targets: Target[] }> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = await redisIfReachable(url);
  const prefix = `bench-outcomes-${randomUUID().slice(0, 8)}:`;
  const where = redis ? `BullMQ on Redis (${url})` : 'the in-memory scheduler (no Redis answered)';
  try {
    say(`  reconciling ${settings.checkouts} open checkouts, budget ${settings.budgetPerSecond} reads/s, on ${where}`);
    const reconcile = await reconcileBench(redis, url, prefix, settings);
    say(`  delivering ${settings.deliveries} merchant webhooks to a local receiver`);
    const deliver = await deliveryBench(redis, url, prefix, settings);
    const rate = reconcile.reads / reconcile.elapsedS;
    const section = [
      `Outcomes (${where}):`,
      '',
      `- reconciliation: ${reconcile.reads} of ${settings.checkouts} open checkouts read once in ${reconcile.elapsedS.toFixed(1)} s = ${rate.toFixed(0)} reads/s; ` +
        `busiest second ${reconcile.peak} reads (budget ${settings.budgetPerSecond}/s); at most ${reconcile.maxInFlight} reads in flight (concurrency 32); fake Flinks read 10 ms`,
      `- merchant webhooks: ${deliver.received} of ${settings.deliveries} delivered in ${deliver.elapsedS.toFixed(1)} s = ${(deliver.received / deliver.elapsedS).toFixed(0)} webhooks/s ` +
        '(signed, 16 in flight, local receiver answering 204 at once)',
    ].join('\n');
    const targets: Target[] = [
      {
        name: `${settings.checkouts} open checkouts reconciled within the upstream budget (${settings.budgetPerSecond} reads/s)`,
        measured: `${reconcile.reads} reads, busiest second ${reconcile.peak}`,
        isMet: reconcile.reads === settings.checkouts && reconcile.peak <= settings.budgetPerSecond * 1.1,
        margin: `busiest second at ${((100 * reconcile.peak) / settings.budgetPerSecond).toFixed(0)} % of the budget (the limiter counts in tenths of a second: at most ~110 %)`,
      },
    ];
    return { section, targets };
  } finally {
    if (redis) await removeKeysAndDisconnect(redis, prefix);
  }
}
