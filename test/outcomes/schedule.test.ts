import FakeTimers from '@sinonjs/fake-timers';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { loadConfig } from '../../src/config/config.js';
import { createDeliveryStep, deliveryJobOf, type DeliveryJob } from '../../src/outcomes/deliveries.js';
import { createMemoryOutcomeStore } from '../../src/outcomes/memory-outcome-store.js';
import { createMemoryQueue } from '../../src/outcomes/memory-queue.js';
import type { MerchantSender } from '../../src/outcomes/merchant-sender.js';
import { createOutcomeMetrics } from '../../src/outcomes/metrics.js';
import type { JobQueue } from '../../src/outcomes/job-queue.js';
import type { OutcomeStore } from '../../src/outcomes/outcome-store.js';
import { createReconcileStep, createRecordKeeper, reconcileJobId, RECORD_WAIT_MS, type ReconcileJob } from '../../src/outcomes/reconciler.js';
import type { OutcomeRecord } from '../../src/outcomes/schemas.js';
import type { PaymentStatus } from '../../src/upstream/flinks-pay/schemas.js';
import { stepsEnded } from './support.js';

/*
 * Time is the subject here: the in-process scheduler runs on a fake clock through a week of
 * reconciliation and days of merchant retries in milliseconds.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

/** The production settings (the documented defaults). */
const production = loadConfig({
  NODE_ENV: 'production',
  FLINKS_BASE_URL: 'https://flinks.example',
  FLINKS_USERNAME: 'u',
  FLINKS_PASSWORD: 'p',
}).outcomes;

function setUp(t: Test) {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.UTC(2026, 0, 1) });
  t.teardown(() => {
    clock.uninstall();
  });
  const store = createMemoryOutcomeStore({
    retentionMs: production.reconcile.maxAgeMs,
    minRetentionAfterWriteMs: production.delivery.maxAgeMs,
    maxHistory: 20,
    maxDeliveries: 50,
    maxEntries: 100,
    now: () => clock.now,
  });
  const metrics = createOutcomeMetrics(new Registry());
  return { clock, store, metrics };
}

type Setting = ReturnType<typeof setUp>;
type Read = Parameters<typeof createReconcileStep>[0]['read'];

type Steps = { read: Read; ensureDelivered?: (record: OutcomeRecord) => Promise<void>; maxPerSecond?: number };

/** The in-process reconciliation queue with the production policy, running. */
function reconcileQueue({ clock, store, metrics }: Setting, steps: Steps) {
  const queue = createMemoryQueue<ReconcileJob>({ name: 'reconcile', concurrency: 4, maxPerSecond: steps.maxPerSecond, maxJobs: 100, log });
  queue.start(
    createReconcileStep({
      store,
      read: steps.read,
      ensureDelivered: steps.ensureDelivered ?? (() => Promise.resolve()),
      policy: production.reconcile,
      metrics,
      log,
      now: () => clock.now,
    }),
  );
  return queue;
}

/** Records a checkout and schedules its reconciliation in the in-process queue, as a checkout does. */
async function reconcileOne(setting: Setting, requestId: string, steps: Steps) {
  const queue = reconcileQueue(setting, steps);
  await createRecordKeeper(setting.store, queue, production.reconcile.firstDelayMs).start(requestId, {
    referenceId: `order-of-${requestId}`,
    createdAt: setting.clock.now,
  });
  return queue;
}

/** A Processing status read, noted on the record as a read from Flinks would be. */
function processingRead({ clock, store }: Setting, reads: number[], start: number): Read {
  return async (_ctx, requestId) => {
    reads.push(clock.now - start);
    await store.observe(requestId, { status: 'Processing', final: false, source: 'reconcile', at: clock.now });
    return { requestId, status: 'Processing', referenceId: `order-of-${requestId}`, final: false };
  };
}

t.test('reconciliation backs off from 30 s to every 30 min, never reads more often than every 30 s, and stops after 168 h', async (t) => {
  const setting = setUp(t);
  const { clock } = setting;
  const reads: number[] = [];
  const start = clock.now;
  const queue = await reconcileOne(setting, 'req-1', { maxPerSecond: 10, read: processingRead(setting, reads, start) });

  await clock.tickAsync(200 * HOUR);

  const gaps = reads.slice(1).map((at, index) => at - (reads[index] ?? 0));
  t.equal(reads[0], 30 * SECOND, 'the first read 30 s after the checkout');
  t.same(
    gaps.slice(0, 6),
    [60, 120, 240, 480, 960, 1800].map((s) => s * SECOND),
    'then doubling',
  );
  t.ok(
    gaps.every((gap) => gap >= 30 * SECOND),
    'never more often than every 30 s',
  );
  t.ok(
    gaps.every((gap) => gap <= 30 * MINUTE),
    'never less often than every 30 min',
  );
  t.ok((reads.at(-1) ?? 0) < 168 * HOUR, 'no read once the checkout is older than 168 h');
  t.ok((reads.at(-1) ?? 0) > 167 * HOUR, 'reads go on until then');
  t.ok(reads.length < 350, `a week of reconciliation is ${reads.length} reads`);
  await queue.close();
});

t.test("a checkout's record and its reconciliation job are written at once, not one after the other", async (t) => {
  const setting = setUp(t);
  const events: string[] = [];
  let recordWritten: () => void = () => undefined;
  const store = {
    ...setting.store,
    create: () => {
      events.push('record sent');
      return new Promise<void>((resolve) => {
        recordWritten = () => {
          events.push('record written');
          resolve();
        };
      });
    },
  } satisfies OutcomeStore;
  const queue = {
    add: (jobId: string) => {
      events.push(`job ${jobId} sent`);
      return Promise.resolve();
    },
  } as unknown as JobQueue<ReconcileJob>;
  const started = createRecordKeeper(store, queue, production.reconcile.firstDelayMs).start('req-0', { referenceId: 'order-0', createdAt: setting.clock.now });
  await Promise.resolve();
  t.same(events, ['record sent', 'job rec_req-0 sent'], 'the job is sent while the record is still on its way');
  recordWritten();
  await started;
  t.same(events.at(-1), 'record written', 'starting ends once both are written');
});

t.test('a job that runs before its record has landed waits for it, then reconciles as usual', async (t) => {
  const setting = setUp(t);
  const { clock, store } = setting;
  const reads: number[] = [];
  const start = clock.now;
  const queue = reconcileQueue(setting, { read: processingRead(setting, reads, start) });
  await queue.add(reconcileJobId('req-late'), { requestId: 'req-late', createdAt: start, step: 0 }, production.reconcile.firstDelayMs);
  await clock.tickAsync(45 * SECOND);
  t.same(reads, [], 'no read while there is no record');
  t.equal(await stepsEnded(setting, 'unrecorded'), 1, 'the step at 30 s found no record and will look again');
  await store.create({ requestId: 'req-late', referenceId: 'order-of-req-late', at: start });
  await clock.tickAsync(2 * MINUTE);
  t.same(reads.slice(0, 2), [60 * SECOND, 120 * SECOND], 'read one pause later, then backing off as usual');
  t.equal(await stepsEnded(setting, 'forgotten'), 0);
  await queue.close();
});

t.test('a job whose record never lands is taken as forgotten after RECORD_WAIT_MS, without reading Flinks', async (t) => {
  const setting = setUp(t);
  const { clock } = setting;
  const reads: number[] = [];
  const queue = reconcileQueue(setting, { read: processingRead(setting, reads, clock.now) });
  await queue.add(reconcileJobId('req-never'), { requestId: 'req-never', createdAt: clock.now, step: 0 }, production.reconcile.firstDelayMs);
  await clock.tickAsync(RECORD_WAIT_MS + 5 * MINUTE);
  t.same(reads, [], 'Flinks is never asked about a checkout without a record');
  const waited = await stepsEnded(setting, 'unrecorded');
  t.equal(waited, RECORD_WAIT_MS / production.reconcile.firstDelayMs - 1, 'it looked for the record once per first pause until then');
  t.equal(await stepsEnded(setting, 'forgotten'), 1, 'and then gave up');
  await clock.tickAsync(HOUR);
  t.equal(await stepsEnded(setting, 'unrecorded'), waited, 'nothing more after that');
  await queue.close();
});

t.test('reconciliation stops at the first final status and hands it to delivery', async (t) => {
  const setting = setUp(t);
  const { clock, store } = setting;
  const reads: number[] = [];
  const handedOver: OutcomeRecord[] = [];
  const start = clock.now;
  const queue = await reconcileOne(setting, 'req-2', {
    read: async (_ctx, requestId) => {
      reads.push(clock.now - start);
      const status: PaymentStatus = clock.now - start > 2 * HOUR ? 'Settled' : 'Accepted';
      const final = status === 'Settled';
      await store.observe(requestId, { status, final, source: 'reconcile', at: clock.now });
      return { requestId, status, referenceId: 'order-2', final };
    },
    ensureDelivered: (record) => {
      handedOver.push(record);
      return Promise.resolve();
    },
  });
  await clock.tickAsync(10 * HOUR);

  const last = reads.at(-1) ?? 0;
  t.ok(last > 2 * HOUR && last <= 2 * HOUR + 30 * MINUTE, 'the Settled status is read within one pause of happening');
  t.same(
    handedOver.map((record) => record.status),
    ['Settled'],
  );
  t.match(await store.history('req-2'), [
    { status: 'Initiated', source: 'created' },
    { status: 'Accepted', source: 'reconcile' },
    { status: 'Settled', source: 'reconcile' },
  ]);
  await queue.close();
});

/** A merchant endpoint that answers 503 (or does not answer) until `upAt`. */
function fakeMerchant(clock: { now: number }, upAt: number) {
  const attempts: { at: number; webhookId: string; status: string }[] = [];
  const sender: MerchantSender = {
    send(webhookId, event) {
      attempts.push({ at: clock.now, webhookId, status: event.data.status });
      const delivered = clock.now >= upAt;
      return Promise.resolve({ delivered, answer: delivered ? '204' : '503', durationMs: 5 });
    },
    close: () => Promise.resolve(),
  };
  return { sender, attempts };
}

async function deliverSettled(t: Test, downForMs: number, runForMs: number) {
  const { clock, store, metrics } = setUp(t);
  const start = clock.now;
  const merchant = fakeMerchant(clock, start + downForMs);
  const queue = createMemoryQueue<DeliveryJob>({ name: 'merchant-webhooks', concurrency: 16, maxJobs: 100, log });
  queue.start(createDeliveryStep({ sender: merchant.sender, store, policy: production.delivery, metrics, log, now: () => clock.now }));
  await store.create({ requestId: 'req-3', referenceId: 'order-3', at: start });
  const observed = await store.observe('req-3', { status: 'Settled', final: true, source: 'reconcile', at: start });
  if (!observed?.changed) throw new Error('no change recorded');
  const { jobId, job } = deliveryJobOf(observed.record, production.delivery, start);
  await queue.add(jobId, job, 0);
  await clock.tickAsync(runForMs);
  return { clock, store, metrics, queue, merchant, start, record: observed.record };
}

t.test('merchant down for ten hours: retried with the same webhook-id, backing off to hourly, delivered within the hour it is back', async (t) => {
  const { merchant, store, start, metrics, queue } = await deliverSettled(t, 10 * HOUR, 24 * HOUR);
  const times = merchant.attempts.map((attempt) => attempt.at - start);
  const gaps = times.slice(1).map((at, index) => at - (times[index] ?? 0));
  t.same(
    gaps.slice(0, 5),
    [10, 20, 40, 80, 160].map((s) => s * SECOND),
    'exponential backoff from 10 s',
  );
  t.ok(
    gaps.every((gap) => gap <= HOUR),
    'at most an hour between attempts',
  );
  t.same(new Set(merchant.attempts.map((attempt) => attempt.webhookId)), new Set(['msg_req-3_Settled']), 'one webhook-id');
  const delivered = (times.at(-1) ?? 0) - 10 * HOUR;
  t.ok(delivered >= 0 && delivered <= HOUR, 'delivered within an hour of the merchant coming back');
  const deliveries = await store.deliveries('req-3');
  t.equal(deliveries.at(-1)?.outcome, 'delivered');
  t.equal(deliveries.length, merchant.attempts.length, 'every attempt is recorded with its answer');
  t.equal((await metrics.deliveriesFailed.get()).values[0]?.value ?? 0, 0);
  await queue.close();
});

t.test('merchant down for longer than 72 h: given up once, counted, and sent again on redelivery', async (t) => {
  const { merchant, store, metrics, queue, clock, start, record } = await deliverSettled(t, 80 * HOUR, 90 * HOUR);
  const last = (merchant.attempts.at(-1)?.at ?? 0) - start;
  t.ok(last <= 72 * HOUR, 'no attempt after MERCHANT_WEBHOOK_MAX_AGE_HOURS');
  t.equal((await store.deliveries('req-3')).at(-1)?.outcome, 'failed');
  t.equal((await metrics.deliveriesFailed.get()).values[0]?.value, 1, 'merchant_webhooks_failed_total');

  const { jobId, job } = deliveryJobOf(record, production.delivery, clock.now);
  t.equal(await queue.rerun(jobId, job), 'rerun');
  await clock.tickAsync(SECOND);
  t.same(merchant.attempts.at(-1), { at: clock.now - SECOND, webhookId: 'msg_req-3_Settled', status: 'Settled' });
  t.equal((await store.deliveries('req-3')).at(-1)?.outcome, 'delivered');
  await queue.close();
});
