import { createHook } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import t from 'tap';
import { createBullQueue } from '../../src/outcomes/bullmq-queue.js';
import { CLOSE_TIMEOUT_MS } from '../../src/outcomes/closing.js';
import { done } from '../../src/outcomes/job-queue.js';
import { captureLogs } from '../support/build.js';
import { freePort, until } from '../support/net.js';
import { startRedis, stopRedis } from '../support/redis.js';
import { cleanRedisOnTeardown, eventually, freshPrefix, openQueue, REDIS_URL } from './support.js';

/*
 * A reconcile job lives for days, and BullMQ's attempts count over its whole life: a step that
 * throws (the store failing inside it, for a moment) must not spend them, or a few short outages
 * end a checkout's reconciliation for good, and with it the merchant's final event.
 */
t.test('a step that throws is put back and runs again, however often: the job never fails for it', async (t) => {
  const prefix = freshPrefix();
  cleanRedisOnTeardown(t, prefix);
  const logs = captureLogs();
  const producer = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const workers: Redis[] = [];
  const queue = createBullQueue<{ n: number }>({
    name: 'reconcile',
    producer,
    workerConnection: () => {
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
      workers.push(redis);
      return redis;
    },
    prefix: `${prefix}bull`,
    concurrency: 1,
    keepCompletedMs: 60_000,
    keepFailedMs: 60_000,
    log: pino(logs.stream),
    stepErrorRetryMs: 10,
  });
  t.teardown(async () => {
    await queue.close();
    producer.disconnect();
  });

  let calls = 0;
  queue.start(() => {
    calls += 1;
    if (calls <= 12) return Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
    return Promise.resolve(done);
  });
  await queue.add('rec_1', { n: 1 }, 0);

  const jobs = openQueue(t, 'reconcile', prefix);
  const counts = await eventually(
    () => jobs.getJobCounts('completed', 'failed'),
    (c) => (c.completed ?? 0) + (c.failed ?? 0) === 1,
    'the job to end',
  );
  t.same(counts, { completed: 1, failed: 0 }, 'completed, after 12 throws (BullMQ would have given up after 8 attempts)');
  t.equal(calls, 13);
  const thrown = logs.lines().filter((line) => line.includes('job step threw'));
  t.equal(thrown.length, 12, 'each throw is logged');
  t.match(JSON.parse(thrown[0] ?? '{}'), { level: 50, queue: 'reconcile', jobId: 'rec_1', retryInMs: 10 });
});

/** Timers that BullMQ or ioredis start from now on, and whether each still holds the process open. */
function trackLibraryTimers() {
  const timers = new Map<number, { hasRef: () => boolean }>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (type !== 'Timeout' || !/node_modules\/(bullmq|ioredis)\//.test(new Error().stack ?? '')) return;
      timers.set(id, resource as { hasRef: () => boolean });
    },
    destroy(id) {
      timers.delete(id);
    },
  }).enable();
  return {
    holdingTheProcess: () => [...timers.values()].filter((timer) => timer.hasRef()).length,
    stop: () => hook.disable(),
  };
}

t.test('while Redis is down the queue and its worker warn once, and closing them then leaves no timer running', async (t) => {
  const port = await freePort();
  const redis = await startRedis(t, port);
  const url = `redis://127.0.0.1:${port}`;
  const logs = captureLogs();
  const retryStrategy = (attempt: number) => Math.min(attempt * 200, 2000);
  // Connection failures so far, counted on the producer and on the worker's connection.
  const failures = { producer: 0, worker: 0 };
  const producer = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy });
  producer.on('error', () => (failures.producer += 1));
  const timers = trackLibraryTimers();
  t.teardown(() => {
    timers.stop();
    producer.disconnect();
  });
  const queue = createBullQueue<{ n: number }>({
    name: 'reconcile',
    producer,
    workerConnection: () => new Redis(url, { maxRetriesPerRequest: null, retryStrategy }).on('error', () => (failures.worker += 1)),
    prefix: 'outage-test:bull',
    concurrency: 1,
    keepCompletedMs: 60_000,
    keepFailedMs: 60_000,
    log: pino(logs.stream),
  });
  let ran = 0;
  queue.start(() => {
    ran += 1;
    return Promise.resolve(done);
  });
  await queue.add('rec_1', { n: 1 }, 0);
  await until('the worker runs a job', () => ran === 1);

  await stopRedis(redis);
  const warnings = (message: string) => logs.lines().filter((line) => line.includes(`"msg":"${message}"`));
  await until('the queue and its worker warn', () => warnings('job queue error').length > 0 && warnings('job worker error').length > 0);
  // Each connection tries again every 0.2–2 s, and the queue and its worker report every failure:
  // three more of each after the first warnings.
  const warned = { ...failures };
  await until('three more failed reconnections of each connection', () => failures.producer >= warned.producer + 3 && failures.worker >= warned.worker + 3);
  t.equal(warnings('job queue error').length, 1, 'one line for the queue');
  t.equal(warnings('job worker error').length, 1, 'one line for the worker');

  await queue.close();
  producer.disconnect();
  // Whatever BullMQ and ioredis leave behind must end by itself within a close's bound.
  await sleep(CLOSE_TIMEOUT_MS + 500);
  t.equal(timers.holdingTheProcess(), 0, 'no BullMQ or ioredis timer holds the process open');
});
