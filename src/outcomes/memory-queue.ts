import type { FastifyBaseLogger } from 'fastify';
import { LRUCache } from 'lru-cache';
import { upToEntries } from '../store/lru-bounds.js';
import { STEP_ERROR_RETRY_MS, type JobQueue, type StepProcessor } from './job-queue.js';
import { CLOSE_TIMEOUT_MS, settlesWithin } from './closing.js';

export interface MemoryQueueOptions {
  name: string;
  concurrency: number;
  /** Steps started per second at most (the upstream budget); unlimited when absent. */
  maxPerSecond?: number;
  /** Jobs held at once; beyond it the oldest waiting job gives way to the new one. */
  maxJobs: number;
  log: FastifyBaseLogger;
  now?: () => number;
}

interface PendingJob<D> {
  data: D;
  timer?: NodeJS.Timeout;
  running: boolean;
}

/** A full queue says so at most this often, with the count of jobs that gave way meanwhile. */
const FULL_NOTICE_EVERY_MS = 60_000;

/**
 * The step-job queue of a single instance without Redis: timers in this process, the same
 * deduplication by id, concurrency and budget. Everything pending is lost when the process stops
 * (see docs/outcomes.md).
 */
export function createMemoryQueue<D>(options: MemoryQueueOptions): JobQueue<D> {
  const now = options.now ?? Date.now;
  const pending = new Map<string, PendingJob<D>>();
  const ended = new LRUCache<string, true>(upToEntries(options.maxJobs));
  const ready: string[] = [];
  const starts: number[] = [];
  let processor: StepProcessor<D> | undefined;
  /** The steps running now, so that closing can wait for them as BullMQ's worker does. */
  const running = new Set<Promise<void>>();
  let budgetTimer: NodeJS.Timeout | undefined;
  let closed = false;
  let gaveWaySinceNotice = 0;
  let lastFullNotice = Number.NEGATIVE_INFINITY;

  /**
   * Room for one more job: the oldest waiting one gives way, as the in-memory record store lets its
   * least recently used record go (that job's checkout is the likeliest to be forgotten there
   * already, and its step then ends at once). False when every job held is running.
   * The loop steps over the slots of jobs deleted since the Map last compacted: about 12 µs per
   * eviction at 23,592 jobs, paid only while the queue is full (checkouts/s with a full queue:
   * × 1.01 against the error line per checkout this replaced).
   */
  function makeRoom(): boolean {
    for (const [jobId, job] of pending) {
      if (job.running) continue;
      clearTimeout(job.timer);
      pending.delete(jobId);
      gaveWaySinceNotice += 1;
      const at = now();
      if (at - lastFullNotice >= FULL_NOTICE_EVERY_MS) {
        options.log.warn(
          { queue: options.name, maxJobs: options.maxJobs, gaveWay: gaveWaySinceNotice },
          'in-memory queue full: its oldest waiting jobs gave way to new ones (REDIS_URL keeps every job)',
        );
        gaveWaySinceNotice = 0;
        lastFullNotice = at;
      }
      return true;
    }
    return false;
  }

  /** Holds a new job, making room for it when the queue is full; false when there is none. */
  function admit(jobId: string, job: PendingJob<D>): boolean {
    if (pending.size >= options.maxJobs && !makeRoom()) {
      options.log.error({ queue: options.name, jobId }, 'every in-memory job is running; this one is dropped');
      return false;
    }
    pending.set(jobId, job);
    return true;
  }

  function enqueue(jobId: string, job: PendingJob<D>, delayMs: number): void {
    clearTimeout(job.timer);
    if (delayMs <= 0) {
      job.timer = undefined;
      ready.push(jobId);
      pump();
      return;
    }
    job.timer = setTimeout(() => {
      job.timer = undefined;
      ready.push(jobId);
      pump();
    }, delayMs);
    job.timer.unref();
  }

  /** Milliseconds until the budget allows one more start (0: now). */
  function budgetWait(): number {
    if (options.maxPerSecond === undefined) return 0;
    const at = now();
    while (starts.length > 0 && (starts[0] ?? 0) <= at - 1000) starts.shift();
    return starts.length < options.maxPerSecond ? 0 : (starts[0] ?? at) + 1000 - at;
  }

  function pump(): void {
    while (processor && !closed && running.size < options.concurrency && ready.length > 0) {
      const wait = budgetWait();
      if (wait > 0) {
        if (!budgetTimer) {
          budgetTimer = setTimeout(() => {
            budgetTimer = undefined;
            pump();
          }, wait);
          budgetTimer.unref();
        }
        return;
      }
      const jobId = ready.shift() ?? '';
      const job = pending.get(jobId);
      if (!job || job.running) continue;
      starts.push(now());
      const step = run(processor, jobId, job);
      running.add(step);
      void step.finally(() => {
        running.delete(step);
        pump();
      });
    }
  }

  async function run(step: StepProcessor<D>, jobId: string, job: PendingJob<D>): Promise<void> {
    job.running = true;
    try {
      const result = await step(job.data, jobId);
      if (result.kind === 'again' && !closed) {
        job.data = result.data;
        job.running = false;
        enqueue(jobId, job, result.delayMs);
        return;
      }
      if (result.kind === 'failed') options.log.warn({ queue: options.name, jobId, reason: result.reason }, 'job failed');
      pending.delete(jobId);
      ended.set(jobId, true);
    } catch (error) {
      // Steps handle their own failures; this is a bug or an outage in the store. Try again shortly.
      options.log.error({ err: error, queue: options.name, jobId }, `job step threw; retrying in ${STEP_ERROR_RETRY_MS / 1000} s`);
      job.running = false;
      if (!closed) enqueue(jobId, job, STEP_ERROR_RETRY_MS);
    }
  }

  return {
    add(jobId, data, delayMs) {
      if (pending.has(jobId) || ended.has(jobId)) return Promise.resolve();
      const job: PendingJob<D> = { data, running: false };
      if (admit(jobId, job)) enqueue(jobId, job, delayMs);
      return Promise.resolve();
    },
    rerun(jobId, data) {
      const job = pending.get(jobId);
      if (job) {
        job.data = data;
        if (!job.running && job.timer) enqueue(jobId, job, 0);
        return Promise.resolve('pending');
      }
      const wasEnded = ended.delete(jobId);
      const fresh: PendingJob<D> = { data, running: false };
      if (admit(jobId, fresh)) enqueue(jobId, fresh, 0);
      return Promise.resolve(wasEnded ? 'rerun' : 'added');
    },
    start(step) {
      processor = step;
      pump();
    },
    async close() {
      closed = true;
      clearTimeout(budgetTimer);
      for (const job of pending.values()) clearTimeout(job.timer);
      // Bounded like BullMQ's graceful close: a step waiting on a hanging call does not hold shutdown.
      await settlesWithin(Promise.allSettled(running), CLOSE_TIMEOUT_MS);
    },
  };
}
