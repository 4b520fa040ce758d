import { getHeapStatistics } from 'node:v8';
import { DEFAULT_RATE_LIMIT_MAX, MAX_REQUESTS_PER_WINDOW } from './env-schema.js';

/*
 * Settings that must agree with each other and with the platform the process runs on: the heap
 * Node may use, where load shedding starts, and how long a shutdown may take.
 */

/** Upstream calls one checkout makes one after another: authorize, sessions/initiate, paymentrequests. */
const CHECKOUT_UPSTREAM_CALLS = 3;

/** On top of the upstream calls: reading the body, Redis, answering, and releasing claims on a forced exit. */
const SHUTDOWN_MARGIN_MS = 5000;

/** How long ending the idempotency claims of requests still running may take on a forced exit. */
export const CLAIM_END_BUDGET_MS = 2000;

/** Load shedding starts at this share of a capped old space (NODE_OPTIONS=--max-old-space-size). */
export const SHED_SHARE_OF_OLD_SPACE = 0.75;

/** The longest one checkout can take: each of its upstream calls may use the whole UPSTREAM_TIMEOUT_MS. */
export function longestCheckoutMs(upstreamTimeoutMs: number): number {
  return CHECKOUT_UPSTREAM_CALLS * upstreamTimeoutMs;
}

/** The default SHUTDOWN_TIMEOUT_MS: one whole checkout, plus a margin. */
export function defaultShutdownTimeoutMs(upstreamTimeoutMs: number): number {
  return longestCheckoutMs(upstreamTimeoutMs) + SHUTDOWN_MARGIN_MS;
}

/** A start-up warning when a configured shutdown window can cut a checkout short; else undefined. */
export function shutdownWindowWarning(shutdownTimeoutMs: number, upstreamTimeoutMs: number): string | undefined {
  const longest = longestCheckoutMs(upstreamTimeoutMs);
  if (shutdownTimeoutMs >= longest) return undefined;
  return (
    `SHUTDOWN_TIMEOUT_MS (${shutdownTimeoutMs}) is shorter than one checkout may take ` +
    `(${CHECKOUT_UPSTREAM_CALLS} upstream calls of up to UPSTREAM_TIMEOUT_MS=${upstreamTimeoutMs}: ${longest} ms): ` +
    'a checkout still running when it ends is cut off, and a retry of its Idempotency-Key is told so (504 checkout-interrupted); ' +
    `leave it unset (default ${defaultShutdownTimeoutMs(upstreamTimeoutMs)}) or raise it`
  );
}

/**
 * The old-space cap (MiB) in Node options as Node reads them: space-separated, double quotes
 * around a value allowed (`--max-old-space-size=N`, also with underscores or N as the next word;
 * the last one wins), or undefined when there is none. 0 is none too: V8 then keeps its default
 * limit, and a cap of 0 would make the default shedding threshold 0, which under-pressure reads as off.
 */
export function oldSpaceCapMb(nodeOptions: string | undefined): number | undefined {
  const words = [...(nodeOptions ?? '').matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map(([, quoted, plain]) =>
    quoted === undefined ? (plain ?? '') : quoted.replace(/\\(.)/g, '$1'),
  );
  let cap: number | undefined;
  words.forEach((word, index) => {
    const match = /^--max[-_]old[-_]space[-_]size(?:=(\d+))?$/.exec(word);
    const value = match ? (match[1] ?? words[index + 1]) : undefined;
    if (value !== undefined && /^\d+$/.test(value)) cap = Number(value);
  });
  return cap === 0 ? undefined : cap;
}

/**
 * The heap in use at which requests are refused, by default. V8's heap limit also counts the young
 * generation (48 MiB on Node 20, 96 MiB on Node 26), so with a capped old space the process runs out
 * of heap and aborts well before 90 % of that limit is in use: the default sheds at 75 % of the old
 * space when it is capped, and at 90 % of V8's limit only when it is not (a heap sized from the
 * machine's memory, where the young generation is a small part of it).
 */
export function defaultMaxHeapUsedBytes(heapSizeLimitBytes: number, capMb: number | undefined): number {
  return capMb === undefined ? Math.floor(heapSizeLimitBytes * 0.9) : Math.floor(capMb * SHED_SHARE_OF_OLD_SPACE * 1024 * 1024);
}

/**
 * The heap in use at which requests are refused: MAX_HEAP_USED_MB when set, else the default for
 * this process's heap. An old-space cap on node's command line wins over one in NODE_OPTIONS
 * (`capMb`), as it does in Node.
 */
export function maxHeapUsedBytesOf(configured: number | undefined, capMb: number | undefined): number {
  return configured ?? defaultMaxHeapUsedBytes(getHeapStatistics().heap_size_limit, oldSpaceCapMb(process.execArgv.join(' ')) ?? capMb);
}

/**
 * Heap one checkout holds in the in-memory store (its outcome record and reconcile job, and
 * an idempotency answer): about 2.2 KB (`npm run bench`, memory part: 1.4 KB a checkout remembered
 * without a key, 0.8 KB an idempotency record), rounded up.
 */
export const MEMORY_STORE_BYTES_PER_CHECKOUT = 2560;

/** The share of the shedding threshold the in-memory store may fill; the rest is code, requests and streams. */
const MEMORY_STORE_SHARE_OF_HEAP = 0.4;

/**
 * How many checkouts the in-memory store (no REDIS_URL) remembers, at most `upTo`: few enough that
 * they never fill the heap up to where load is shed. Otherwise a busy single instance would, once
 * full, refuse every request until its records expire (24 h to 7 days).
 */
export function memoryStoreEntriesFor(maxHeapUsedBytes: number, upTo: number): number {
  const fits = Math.floor((maxHeapUsedBytes * MEMORY_STORE_SHARE_OF_HEAP) / MEMORY_STORE_BYTES_PER_CHECKOUT);
  return Math.max(1000, Math.min(upTo, fits));
}

/** What bounds this process's heap: node's own options and the limit V8 settled on. */
export interface HeapFacts {
  execArgv: readonly string[];
  heapSizeLimitBytes: number;
}

const thisProcess = (): HeapFacts => ({ execArgv: process.execArgv, heapSizeLimitBytes: getHeapStatistics().heap_size_limit });

/**
 * MAX_HEAP_USED_MB that can never fire, because V8 aborts first: at or above the old-space cap
 * (NODE_OPTIONS, or node's command line, which Node reads after it), or at or above the heap limit
 * this process actually has. One problem at most, judged on the raw value.
 */
export function heapSettingProblems(env: Record<string, string | undefined>, facts: HeapFacts = thisProcess()): string[] {
  const shedAt = Number(env.MAX_HEAP_USED_MB?.trim() || Number.NaN);
  if (!Number.isFinite(shedAt)) return [];
  const commandLineCap = oldSpaceCapMb(facts.execArgv.join(' '));
  const [cap, where] = commandLineCap === undefined ? [oldSpaceCapMb(env.NODE_OPTIONS), 'NODE_OPTIONS'] : [commandLineCap, "node's command line"];
  const limitMb = Math.floor(facts.heapSizeLimitBytes / (1024 * 1024));
  const runsOut = 'or the process runs out of heap before it sheds load';
  if (cap !== undefined && shedAt >= cap) {
    return [
      `MAX_HEAP_USED_MB: must be below the old space ${where} allows (--max-old-space-size=${cap}), ${runsOut} ` +
        `(${Math.floor(cap * SHED_SHARE_OF_OLD_SPACE)} is the default there)`,
    ];
  }
  if (shedAt >= limitMb) {
    return [
      `MAX_HEAP_USED_MB: must be below this process's heap limit (${limitMb} MiB), ${runsOut} ` +
        `(cap the old space with --max-old-space-size and shed at ${SHED_SHARE_OF_OLD_SPACE * 100} % of it)`,
    ];
  }
  return [];
}

/** Status reads a client address may make per window for each checkout it may start (a browser polling every 2 s makes 30 a minute). */
export const STATUS_READS_PER_CHECKOUT = 10;
/** Requests answered 404 a client address may collect per window for each checkout it may start. */
export const STATUS_NOT_FOUND_PER_CHECKOUT = 5;

/**
 * The default status budget of one client address: RATE_LIMIT_MAX is how many shoppers' checkouts
 * an address may start in a window, so an operator who raises it for many shoppers behind one NAT
 * raises what they may read with it. Never below the budget of its default (60: 600 reads, 300 404s),
 * never above what STATUS_RATE_LIMIT_MAX and STATUS_NOT_FOUND_LIMIT accept when set.
 */
export function defaultStatusBudget(perCheckout: number, rateLimitMax: number): number {
  return Math.min(MAX_REQUESTS_PER_WINDOW, perCheckout * Math.max(DEFAULT_RATE_LIMIT_MAX, rateLimitMax));
}
