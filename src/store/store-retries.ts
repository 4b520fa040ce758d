import type { FastifyBaseLogger } from 'fastify';
import { repeatedWarning } from '../observability/repeated-warning.js';

export interface StoreRetriesOptions {
  /** What is written, for the log: "checkout records", "idempotency writes". */
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
 * name winning, and all are tried again every `retryMs` until the store takes them. A write that
 * resolves to `false` cannot be made yet (it needs another write first): it waits for the next
 * attempt while the writes after it go on. In memory, so bounded, and gone if the process dies
 * first: each caller says what covers that case.
 */
export function createStoreRetries(options: StoreRetriesOptions) {
  const retryMs = options.retryMs ?? 1000;
  const maxPending = options.maxPending ?? 10_000;
  const pending = new Map<string, () => Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  /** The pass writing what waits, while one runs. */
  let writing: Promise<void> | undefined;
  // Every second while the store is down: the first failure at once, then one line a minute.
  const stillFailing = repeatedWarning(
    options.log,
    `${options.what} kept during a store outage: the store still refuses them; tried again every ${retryMs} ms`,
  );

  function schedule(): void {
    if (timer || writing) return;
    timer = setTimeout(() => {
      timer = undefined;
      void writePending();
    }, retryMs).unref();
  }

  /** Oldest first, until the store fails again (then all wait for the next attempt). */
  async function writePass(): Promise<void> {
    try {
      for (const [name, write] of pending) {
        if ((await write()) === false) continue;
        // A newer write under this name, added while this one ran, still waits.
        if (pending.get(name) === write) pending.delete(name);
      }
      if (pending.size === 0) options.log.info(`${options.what} kept during a store outage are written`);
    } catch (error) {
      // Still failing (or a write broke): the next attempt follows, and the log says why.
      stillFailing({ err: error, waiting: pending.size });
    }
  }

  function writePending(): Promise<void> {
    writing ??= writePass().finally(() => {
      writing = undefined;
      if (pending.size > 0) schedule();
    });
    return writing;
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
    /**
     * One last attempt at what is waiting (on shutdown), after the pass already running if any;
     * resolves to how many are still not written.
     */
    async flush(): Promise<number> {
      clearTimeout(timer);
      timer = undefined;
      await writing;
      if (pending.size > 0) await writePending();
      clearTimeout(timer);
      timer = undefined;
      return pending.size;
    },
  };
}

export type StoreRetries = ReturnType<typeof createStoreRetries>;
