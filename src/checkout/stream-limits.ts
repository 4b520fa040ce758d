import { OverloadedError, RateLimitedError } from '../errors/app-errors.js';

export interface StreamLimitsOptions {
  /** Open streams on this instance, all clients together. */
  maxStreams: number;
  /** Open streams of one client (its address). */
  maxPerClient: number;
}

/** Seconds a refused client is asked to wait; by then a tab may have closed, or it polls meanwhile. */
const RETRY_AFTER_S = 5;

/**
 * Bounds the event streams held open at once, per client and in total: each one keeps a socket, a
 * reply and a listener for as long as the client likes, so without a bound one client could hold
 * them all.
 */
export function createStreamLimits(options: StreamLimitsOptions) {
  const perClient = new Map<string, number>();
  let open = 0;

  return {
    /** Takes a slot for `client`'s new stream, or throws 429 / 503. Returns the release (idempotent). */
    acquire(client: string): () => void {
      const ofClient = perClient.get(client) ?? 0;
      if (ofClient >= options.maxPerClient) {
        throw new RateLimitedError(RETRY_AFTER_S, 'Too many event streams open from this address (follow with GET /checkout/{requestId} meanwhile)');
      }
      if (open >= options.maxStreams) throw new OverloadedError(RETRY_AFTER_S, 'Too many event streams are open on this instance.');
      perClient.set(client, ofClient + 1);
      open += 1;
      let isReleased = false;
      return () => {
        if (isReleased) return;
        isReleased = true;
        open -= 1;
        const left = (perClient.get(client) ?? 1) - 1;
        if (left > 0) perClient.set(client, left);
        else perClient.delete(client);
      };
    },
    /** Streams open now, and how many clients hold them (for metrics and tests). */
    size: () => ({ streams: open, clients: perClient.size }),
  };
}

export type StreamLimits = ReturnType<typeof createStreamLimits>;
