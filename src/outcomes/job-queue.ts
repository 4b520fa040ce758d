/*
 * The two kinds of background work (reconciliation reads, merchant webhook attempts) are "step
 * jobs": one job per checkout or per status change, with a deterministic id, that runs a step and
 * then either ends or is put back with a delay. BullMQ runs them with REDIS_URL, an in-process
 * scheduler without.
 */

export type StepResult<D> = { kind: 'done' } | { kind: 'again'; delayMs: number; data: D } | { kind: 'failed'; reason: string };

export type StepProcessor<D> = (data: D, jobId: string) => Promise<StepResult<D>>;

/** What a rerun found: an ended job started again, a pending one moved to now, or none (added anew). */
export type RerunOutcome = 'rerun' | 'pending' | 'added';

export interface JobQueue<D> {
  /** Schedules a job, unless one with this id exists (waiting, running, or kept after it ended). */
  add(jobId: string, data: D, delayMs: number): Promise<void>;
  /** Runs the job with this id again now, with new data; adds it when none is kept. */
  rerun(jobId: string, data: D): Promise<RerunOutcome>;
  /** Starts running steps; before this, jobs only wait. */
  start(processor: StepProcessor<D>): void;
  /** Takes no more steps and waits, CLOSE_TIMEOUT_MS (closing.ts) at most, for the steps running to end. */
  close(): Promise<void>;
}

export const done = { kind: 'done' } as const;

/** Pause before a step that threw (a bug, or a store that failed it) runs again, in either queue. */
export const STEP_ERROR_RETRY_MS = 5000;

export function again<D>(delayMs: number, data: D): StepResult<D> {
  return { kind: 'again', delayMs: Math.max(0, Math.round(delayMs)), data };
}
