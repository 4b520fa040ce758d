import type { FastifyBaseLogger } from 'fastify';

export interface StoreRetriesOptions {
  /** What is written, for the log: "checkout records", "idempotency answers". */
  what: string;
  log: FastifyBaseLogger;
  /** Pause between two attempts to write what is waiting. */
  retryMs?: number;
  /** Writes waiting at most; one more is dropped (and logged). */
  maxPending?: number;
}

/**
 * Store writes that must happen even when the store fails them once (a checkout's record, an
 * idempotent checkout's answer, a status change): each waits here, by name, the newest write per
 * name winning, and all are tried again every `retryMs` until the store takes them. In memory, so
 * bounded, and gone if the process dies first: each caller says what covers that case.
 */
export function createStoreRetries(options: StoreRetriesOptions) {
  const retryMs = options.retryMs ?? 1000;
  const maxPending = options.maxPending ?? 10_000;
  const pending = new Map<string, () => Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let isWriting = false;

  function schedule(): void {
    if (timer || isWriting) return;
    timer = setTimeout(() => {
      timer = undefined;
      void writePending();
    }, retryMs).unref();
  }

  /** Oldest first, until the store fails again (then all wait for the next attempt). */
  async function writePending(): Promise<void> {
    isWriting = true;
    try {
      for (const [name, write] of pending) {
        await write();
        pending.delete(name);
      }
      options.log.info(`${options.what} kept during a store outage are written`);
    } catch {
      // Still failing: the next attempt follows.
    } finally {
      isWriting = false;
      if (pending.size > 0) schedule();
    }
  }

  return {
    /** Keeps `write` (named `name`) to be tried again; false when too many are waiting already. */
    add(name: string, write: () => Promise<unknown>): boolean {
      if (pending.size >= maxPending && !pending.has(name)) return false;
      pending.delete(name);
      pending.set(name, write);
      schedule();
      return true;
    },
    get size(): number {
      return pending.size;
    },
    /** One last attempt at what is waiting (on shutdown); resolves to how many are still not written. */
    async flush(): Promise<number> {
      clearTimeout(timer);
      timer = undefined;
      if (pending.size > 0 && !isWriting) await writePending();
      clearTimeout(timer);
      timer = undefined;
      return pending.size;
    },
  };
}

export type StoreRetries = ReturnType<typeof createStoreRetries>;
