import { DelayedError, Queue, UnrecoverableError, Worker, type Job, type RateLimiterOptions } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { again, STEP_ERROR_RETRY_MS, type JobQueue, type RerunOutcome, type StepProcessor, type StepResult } from './job-queue.js';
import { CLOSE_TIMEOUT_MS, settlesWithin } from './closing.js';
import { repeatedWarning } from '../observability/repeated-warning.js';

export interface BullQueueOptions {
  name: string;
  /** Connection for adding jobs: fails fast while Redis is away, so a checkout never waits on it. */
  producer: Redis;
  /** Connection for the worker (blocking commands, retried forever); made only when started. */
  workerConnection: () => Redis;
  /** Key prefix of the queue's keys (REDIS_KEY_PREFIX + "bull"). */
  prefix: string;
  /** Steps running at once in this instance. */
  concurrency: number;
  /** Steps started per period across every instance: the queue's budget. */
  limiter?: RateLimiterOptions;
  /**
   * How long a job that ended is kept, so adding the same id again is a no-op (and it can be rerun):
   * one that completed, and one that failed (given up).
   */
  keepCompletedMs: number;
  keepFailedMs: number;
  log: FastifyBaseLogger;
  /** Pause before a step that threw runs again (default STEP_ERROR_RETRY_MS, as in the in-memory queue). */
  stepErrorRetryMs?: number;
}

/**
 * A worker whose timers can be stopped on their own. While Redis is unreachable, BullMQ's close()
 * waits for the blocking connection to end, which a reconnecting client never does
 * (taskforcesh/bullmq#4656), and a forced close() after it is a no-op: the lock renewal timer then
 * runs forever, and the stalled-job check once more, keeping a closed app's process alive.
 */
class StoppableWorker<D> extends Worker<D> {
  stopTimers(): void {
    // Pausing without waiting for the running jobs only stops the stalled-job check.
    this.pause(true).catch(() => undefined);
    this.lockManager.close().catch(() => undefined);
  }
}

/** How often a rerun reads a job's state and acts on it before a refusal is an error. */
const RERUN_ATTEMPTS = 3;

/** Runs a job again now: an ended one from the start, a delayed one at once, a waiting or running one as it is. */
async function runNow(job: Job): Promise<RerunOutcome> {
  const state = await job.getState();
  if (state === 'completed' || state === 'failed') {
    await job.retry(state, { resetAttemptsMade: true });
    return 'rerun';
  }
  if (state === 'delayed') await job.promote();
  return 'pending';
}

/**
 * A step-job queue on BullMQ: the job id deduplicates across instances, one worker at a time holds
 * a job's lock (each step runs once), and a delayed job lives in Redis, so a restart or a killed
 * instance loses nothing: whichever instance is up runs it when it is due. A step that asks to run
 * again is moved back to "delayed" with new data (BullMQ's step-job pattern).
 */
export function createBullQueue<D>(options: BullQueueOptions): JobQueue<D> {
  const stepErrorRetryMs = options.stepErrorRetryMs ?? STEP_ERROR_RETRY_MS;
  const queue = new Queue<D, unknown, string, D, unknown, string>(options.name, {
    connection: options.producer,
    prefix: options.prefix,
    defaultJobOptions: {
      removeOnComplete: { age: Math.ceil(options.keepCompletedMs / 1000) },
      removeOnFail: { age: Math.ceil(options.keepFailedMs / 1000) },
      // Only for the queue's own commands failing around a step (a step that throws is put back, not
      // failed): steps schedule their own retries.
      attempts: 8,
      backoff: { type: 'exponential', delay: 1000 },
    },
  });
  // While Redis is away both report every reconnection attempt that fails, several a second.
  const queueError = repeatedWarning(options.log, 'job queue error');
  const workerError = repeatedWarning(options.log, 'job worker error');
  queue.on('error', (error) => {
    queueError({ err: error, queue: options.name });
  });
  let worker: StoppableWorker<D> | undefined;
  let workerRedis: Redis | undefined;
  let isClosed = false;
  let startWorker: (() => void) | undefined;

  return {
    async add(jobId, data, delayMs) {
      await queue.add(options.name, data, { jobId, delay: delayMs });
    },
    async rerun(jobId, data) {
      const job = await queue.getJob(jobId);
      if (!job) {
        await queue.add(options.name, data, { jobId });
        return 'added';
      }
      await job.updateData(data);
      // Another rerun of this job (a second operator, another instance) can move it between our
      // reading its state and acting on it; BullMQ then refuses the move, and the state is read again.
      for (let attempt = 1; ; attempt++) {
        try {
          return await runNow(job);
        } catch (error) {
          if (attempt === RERUN_ATTEMPTS) throw error;
        }
      }
    },
    start(processor: StepProcessor<D>) {
      if (worker || startWorker) return;
      // Workers wait until Redis first answers: a worker made while Redis is away holds blocking
      // connections that neither work nor close until it comes back.
      startWorker = () => {
        if (isClosed || worker) return;
        worker = new StoppableWorker<D>(
          options.name,
          async (job, token) => {
            let result: StepResult<D>;
            try {
              result = await processor(job.data, job.id ?? '');
            } catch (error) {
              // Steps handle their own failures; a throw is the store or the queue failing inside a
              // step. Thrown on, it would spend one of the job's few attempts, which count over its
              // whole life (days), so a few short outages would end reconciliation for good.
              options.log.error({ err: error, queue: options.name, jobId: job.id, retryInMs: stepErrorRetryMs }, 'job step threw; retrying');
              result = again(stepErrorRetryMs, job.data);
            }
            if (result.kind === 'done') return;
            if (result.kind === 'failed') throw new UnrecoverableError(result.reason);
            await job.updateData(result.data);
            await job.moveToDelayed(Date.now() + result.delayMs, token);
            throw new DelayedError();
          },
          {
            connection: (workerRedis = options.workerConnection()),
            prefix: options.prefix,
            concurrency: options.concurrency,
            ...(options.limiter ? { limiter: options.limiter } : {}),
            // A killed instance's running step is taken over after its lock lapses; never give a job up for that.
            maxStalledCount: 1000,
          },
        );
        worker.on('error', (error) => {
          workerError({ err: error, queue: options.name });
        });
        worker.on('failed', (job, error) => {
          // A step's own "failed" (a webhook given up after its retries) is logged by the step.
          if (error instanceof UnrecoverableError) return;
          options.log.error({ err: error, queue: options.name, jobId: job?.id, attempts: job?.attemptsMade }, 'job failed for good');
        });
      };
      if (options.producer.status === 'ready') startWorker();
      else options.producer.once('ready', startWorker);
    },
    async close() {
      isClosed = true;
      if (startWorker) options.producer.off('ready', startWorker);
      const graceful = (async () => {
        await worker?.close();
        await queue.close();
        // BullMQ closes only the connections it made itself.
        await workerRedis?.quit().catch(() => workerRedis?.disconnect());
      })();
      if (await settlesWithin(graceful, CLOSE_TIMEOUT_MS)) return;
      // Redis is away and BullMQ would wait for it (its disconnect too): drop the connections and
      // the worker's timers, leaving the close in progress unawaited.
      worker?.stopTimers();
      queue.close().catch(() => undefined);
      workerRedis?.disconnect();
    },
  };
}

/**
 * BullMQ's limiter counts in fixed windows, so a window of a whole second would let up to twice the
 * budget through across a boundary. Windows of about a tenth of a second keep any sliding second
 * within about 10 % of it, at the same average.
 */
export function limiterFor(perSecond: number): { max: number; duration: number } {
  const max = Math.max(1, Math.floor(perSecond / 10));
  return { max, duration: Math.round((1000 * max) / perSecond) };
}
