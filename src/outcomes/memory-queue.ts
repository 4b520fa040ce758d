import type { FastifyBaseLogger } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { JobQueue, StepProcessor } from './job-queue.js';

export interface MemoryQueueOptions {
  name: string;
  concurrency: number;
  /** Steps started per second at most (the upstream budget); unlimited when absent. */
  maxPerSecond?: number;
  /** Jobs waiting at once; one more is refused (logged) rather than growing without bound. */
  maxJobs: number;
  log: FastifyBaseLogger;
  now?: () => number;
}

interface PendingJob<D> {
  data: D;
  timer?: NodeJS.Timeout;
  running: boolean;
}

/**
 * The step-job queue of a single instance without Redis: timers in this process, the same
 * deduplication by id, concurrency and budget. Everything pending is lost when the process stops
 * (see docs/outcomes.md).
 */
export function createMemoryQueue<D>(options: MemoryQueueOptions): JobQueue<D> {
  const now = options.now ?? Date.now;
  const pending = new Map<string, PendingJob<D>>();
  const ended = new LRUCache<string, true>({ max: options.maxJobs });
  const ready: string[] = [];
  const starts: number[] = [];
  let processor: StepProcessor<D> | undefined;
  let running = 0;
  let budgetTimer: NodeJS.Timeout | undefined;
  let closed = false;

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
    while (processor && !closed && running < options.concurrency && ready.length > 0) {
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
      void run(processor, jobId, job);
    }
  }

  async function run(step: StepProcessor<D>, jobId: string, job: PendingJob<D>): Promise<void> {
    running += 1;
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
      options.log.error({ err: error, queue: options.name, jobId }, 'job step threw; retrying in 5 s');
      job.running = false;
      if (!closed) enqueue(jobId, job, 5000);
    } finally {
      running -= 1;
      pump();
    }
  }

  return {
    add(jobId, data, delayMs) {
      if (pending.has(jobId) || ended.has(jobId)) return Promise.resolve();
      if (pending.size >= options.maxJobs) {
        options.log.error({ queue: options.name, jobId }, 'too many pending jobs in memory; this one is dropped');
        return Promise.resolve();
      }
      const job: PendingJob<D> = { data, running: false };
      pending.set(jobId, job);
      enqueue(jobId, job, delayMs);
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
      pending.set(jobId, fresh);
      enqueue(jobId, fresh, 0);
      return Promise.resolve(wasEnded ? 'rerun' : 'added');
    },
    start(step) {
      processor = step;
      pump();
    },
    close() {
      closed = true;
      clearTimeout(budgetTimer);
      for (const job of pending.values()) clearTimeout(job.timer);
      return Promise.resolve();
    },
  };
}
