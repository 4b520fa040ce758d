import { Redis } from 'ioredis';
import { pino } from 'pino';
import t from 'tap';
import { createBullQueue } from '../../src/outcomes/bullmq-queue.js';
import { done } from '../../src/outcomes/job-queue.js';
import { captureLogs } from '../support/build.js';
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
    if (calls <= 12) return Promise.reject(new Error('Stream isn\'t writeable and enableOfflineQueue options is false'));
    return Promise.resolve(done);
  });
  await queue.add('rec_1', { n: 1 }, 0);

  const jobs = openQueue(t, 'reconcile', prefix);
  const counts = await eventually(() => jobs.getJobCounts('completed', 'failed'), (c) => (c.completed ?? 0) + (c.failed ?? 0) === 1, 'the job to end');
  t.same(counts, { completed: 1, failed: 0 }, 'completed, after 12 throws (BullMQ would have given up after 8 attempts)');
  t.equal(calls, 13);
  const thrown = logs.lines().filter((line) => line.includes('job step threw'));
  t.equal(thrown.length, 12, 'each throw is logged');
  t.match(JSON.parse(thrown[0] ?? '{}'), { level: 50, queue: 'reconcile', jobId: 'rec_1', retryInMs: 10 });
});
