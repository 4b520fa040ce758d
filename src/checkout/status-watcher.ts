import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { CheckoutNotFoundError, OverloadedError } from '../errors/app-errors.js';
import { createSingleFlight } from './single-flight.js';
import type { CallContext } from '../upstream/flinks-pay/client.js';
import type { CheckoutStatus } from './schemas.js';

export interface StatusListener {
  onStatus(status: CheckoutStatus): void;
  /** The watch is over: final status sent, checkout gone, or the server is shutting down. */
  onEnd(): void;
}

export interface StatusWatcherOptions {
  /**
   * The status a new watch starts from. It may come from the status cache: a client opening (or
   * reopening) streams again and again must cost Flinks no more than polling the status would.
   */
  read: (ctx: CallContext, requestId: string) => Promise<CheckoutStatus>;
  /** Each timed poll of a watch: always asks Flinks, since a cached answer would hide a change. */
  poll: (ctx: CallContext, requestId: string) => Promise<CheckoutStatus>;
  intervalMs: number;
  /** Checkouts watched at once; one more is refused with 503 rather than growing without bound. */
  maxWatched: number;
  log: FastifyBaseLogger;
}

interface Watch {
  listeners: Set<StatusListener>;
  last: CheckoutStatus;
  timer?: NodeJS.Timeout;
  ctx: CallContext;
}

/**
 * One upstream poll per checkout, however many clients follow it: listeners share the watch, hear
 * every change, and the poll stops with the last listener or at a final status.
 */
export function createStatusWatcher(options: StatusWatcherOptions) {
  const watches = new Map<string, Watch>();
  /** Set by closeAll(): a stream whose first read was still under way then ends once it has its status. */
  let closed = false;

  function end(requestId: string, watch: Watch): void {
    clearTimeout(watch.timer);
    watches.delete(requestId);
    for (const listener of watch.listeners) listener.onEnd();
  }

  function schedule(requestId: string, watch: Watch): void {
    watch.timer = setTimeout(() => void poll(requestId, watch), options.intervalMs);
    watch.timer.unref();
  }

  async function poll(requestId: string, watch: Watch): Promise<void> {
    let status: CheckoutStatus;
    try {
      status = await options.poll(watch.ctx, requestId);
    } catch (error) {
      if (error instanceof CheckoutNotFoundError) {
        end(requestId, watch);
        return;
      }
      // A failed read changes nothing the clients know; try again at the next tick.
      watch.ctx.log.warn({ err: error }, 'status poll failed');
      if (watches.get(requestId) === watch) schedule(requestId, watch);
      return;
    }
    if (watches.get(requestId) !== watch) return;
    if (status.status !== watch.last.status) {
      watch.last = status;
      for (const listener of watch.listeners) listener.onStatus(status);
    }
    if (status.final) end(requestId, watch);
    else schedule(requestId, watch);
  }

  const opening = createSingleFlight<Watch | CheckoutStatus>();

  /** The live watch of a checkout, or its status when it is already final (nothing to watch). */
  function open(ctx: CallContext, requestId: string): Promise<Watch | CheckoutStatus> {
    const existing = watches.get(requestId);
    if (existing) return Promise.resolve(existing);
    return opening(requestId, async () => {
      const status = await options.read(ctx, requestId);
      if (status.final || closed) return status;
      if (watches.size >= options.maxWatched) {
        throw new OverloadedError(5, 'Too many checkouts are being followed right now.');
      }
      const watchId = `watch-${randomUUID()}`;
      const watch: Watch = {
        listeners: new Set(),
        last: status,
        ctx: { log: options.log.child({ requestId: watchId }), requestId: watchId },
      };
      watches.set(requestId, watch);
      schedule(requestId, watch);
      return watch;
    });
  }

  return {
    /**
     * Sends the listener the current status at once, then every change until a final status.
     * Throws (before sending anything) when the checkout is unknown. Returns the unsubscribe function.
     */
    async follow(ctx: CallContext, requestId: string, listener: StatusListener): Promise<() => void> {
      const opened = await open(ctx, requestId);
      if (!('listeners' in opened) || watches.get(requestId) !== opened) {
        listener.onStatus('listeners' in opened ? opened.last : opened);
        listener.onEnd();
        return () => undefined;
      }
      opened.listeners.add(listener);
      listener.onStatus(opened.last);
      return () => {
        opened.listeners.delete(listener);
        if (opened.listeners.size === 0 && watches.get(requestId) === opened) {
          clearTimeout(opened.timer);
          watches.delete(requestId);
        }
      };
    },

    /** Checkouts watched now and the listeners following them (for metrics, and tests of the bookkeeping). */
    size(): { watches: number; listeners: number } {
      let listeners = 0;
      for (const watch of watches.values()) listeners += watch.listeners.size;
      return { watches: watches.size, listeners };
    },

    /** Ends every stream, e.g. on shutdown, and every stream that starts afterwards after its first status. */
    closeAll(): void {
      closed = true;
      for (const [requestId, watch] of [...watches]) end(requestId, watch);
    },
  };
}

export type StatusWatcher = ReturnType<typeof createStatusWatcher>;
