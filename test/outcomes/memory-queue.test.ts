import FakeTimers from '@sinonjs/fake-timers';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { done, type StepResult } from '../../src/outcomes/job-queue.js';
import { createMemoryQueue } from '../../src/outcomes/memory-queue.js';
import { captureLogs } from '../support/build.js';

/*
 * The in-process queue's bound: a single instance without Redis holds at most `maxJobs` jobs, and a
 * full queue lets its oldest waiting job go (as the in-memory record store does with records),
 * saying so at most once a minute. Time is the subject: fake timers.
 */

interface LogLine {
  level: number;
  msg: string;
  queue?: string;
  gaveWay?: number;
  jobId?: string;
}

const WARN = 40;
const ERROR = 50;

function setUp(t: Test, maxJobs: number, step: (id: string) => Promise<StepResult<string>> = () => Promise.resolve(done)) {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.UTC(2026, 0, 1) });
  t.teardown(() => {
    clock.uninstall();
  });
  const logs = captureLogs();
  const log = pino({ level: 'info' }, logs.stream) as unknown as FastifyBaseLogger;
  const ran: string[] = [];
  const queue = createMemoryQueue<string>({ name: 'reconcile', concurrency: 1, maxJobs, log, now: () => clock.now });
  queue.start((data) => {
    ran.push(data);
    return step(data);
  });
  return { clock, lines: () => logs.lines().map((line) => JSON.parse(line) as LogLine), ran, queue };
}

t.test('a full queue lets its oldest waiting job go for a new one, and says so once a minute with the count', async (t) => {
  const { clock, lines, ran, queue } = setUp(t, 3);
  for (const id of ['a', 'b', 'c', 'd', 'e']) await queue.add(id, id, 30_000);
  await clock.tickAsync(30_000);
  t.same(ran, ['c', 'd', 'e'], 'the three newest ran; the two oldest gave way');
  t.same(
    lines().map(({ level, msg, queue: name, gaveWay }) => ({ level, msg, queue: name, gaveWay })),
    [{ level: WARN, msg: 'in-memory queue full: its oldest waiting jobs gave way to new ones (REDIS_URL keeps every job)', queue: 'reconcile', gaveWay: 1 }],
    'one line for the first, none for the second within the minute',
  );

  for (const id of ['f', 'g', 'h', 'i']) await queue.add(id, id, 120_000);
  t.equal(lines().length, 1, 'f gave way half a minute after the first line: nothing more yet');
  await clock.tickAsync(30_000);
  await queue.add('j', 'j', 120_000);
  t.equal(lines().length, 2, 'a minute after the first line, the next one');
  t.equal(lines()[1]?.gaveWay, 3, 'it counts every job that gave way since the last line: b, f and g');
  await clock.tickAsync(120_000);
  t.same(ran.slice(3), ['h', 'i', 'j']);
});

t.test('a job that gave way can be added again, and a rerun makes room the same way', async (t) => {
  const { clock, ran, queue } = setUp(t, 2);
  await queue.add('a', 'a', 10_000);
  await queue.add('b', 'b', 10_000);
  await queue.add('c', 'c', 10_000);
  t.equal(await queue.rerun('a', 'a again'), 'added', 'a had given way, so a rerun adds it anew (and b gives way)');
  await clock.tickAsync(10_000);
  t.same(ran, ['a again', 'c']);
});

t.test('a running job never gives way: with every held job running, a new one is refused and logged', async (t) => {
  let release = () => {};
  const { clock, lines, ran, queue } = setUp(
    t,
    1,
    () =>
      new Promise((resolve) => {
        release = () => {
          resolve(done);
        };
      }),
  );
  await queue.add('a', 'a', 0);
  await clock.tickAsync(0);
  t.same(ran, ['a'], 'a is running');
  await queue.add('b', 'b', 0);
  t.same(
    lines().map(({ level, msg, jobId }) => ({ level, msg, jobId })),
    [{ level: ERROR, msg: 'every in-memory job is running; this one is dropped', jobId: 'b' }],
  );
  release();
  await clock.tickAsync(1_000);
  t.same(ran, ['a'], 'b was never held');
  await queue.add('c', 'c', 0);
  await clock.tickAsync(0);
  t.same(ran, ['a', 'c'], 'once a ended there is room again');
});
