import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { CheckoutStatusSchema, type CheckoutStatus } from '../checkout/schemas.js';
import type { StatusListener, StatusWatcher } from '../checkout/status-watcher.js';
import { statusRank } from './schemas.js';

type Subscriber = (status: CheckoutStatus) => void;

/**
 * Status changes seen anywhere (reconciliation, a Flinks webhook, another client's read), pushed
 * to the event streams following that checkout at once instead of at their next poll. With Redis
 * the changes travel between instances over pub/sub.
 */
export interface LiveUpdates {
  publish(status: CheckoutStatus): void;
  subscribe(requestId: string, subscriber: Subscriber): () => void;
  close(): Promise<void>;
}

export function createLiveUpdates(options: { redis?: { publisher: Redis; subscriber: Redis; channel: string }; log: FastifyBaseLogger }): LiveUpdates {
  const subscribers = new Map<string, Set<Subscriber>>();
  const origin = randomUUID();
  const deliverLocally = (status: CheckoutStatus) => {
    for (const subscriber of subscribers.get(status.requestId) ?? []) subscriber(status);
  };
  const remote = options.redis;
  if (remote) {
    remote.subscriber.on('message', (_channel: string, message: string) => {
      try {
        const parsed = JSON.parse(message) as { origin?: unknown; status?: unknown };
        if (parsed.origin !== origin) deliverLocally(CheckoutStatusSchema.parse(parsed.status));
      } catch (error) {
        options.log.warn({ err: error }, 'ignored a malformed live status message');
      }
    });
    remote.subscriber.subscribe(remote.channel).catch((error: unknown) => {
      options.log.warn({ err: error }, 'live status updates from other instances are off (Redis subscribe failed)');
    });
  }
  return {
    publish(status) {
      deliverLocally(status);
      remote?.publisher.publish(remote.channel, JSON.stringify({ origin, status })).catch((error: unknown) => {
        options.log.warn({ err: error }, 'could not publish a status change to other instances');
      });
    },
    subscribe(requestId, subscriber) {
      const set = subscribers.get(requestId) ?? new Set();
      set.add(subscriber);
      subscribers.set(requestId, set);
      return () => {
        set.delete(subscriber);
        if (set.size === 0 && subscribers.get(requestId) === set) subscribers.delete(requestId);
      };
    },
    close() {
      // The subscriber connection belongs to whoever made it (outcome delivery closes it, bounded).
      subscribers.clear();
      remote?.subscriber.removeAllListeners('message');
      return Promise.resolve();
    },
  };
}

/**
 * The event-stream watcher, also fed by live updates: a listener hears each status once, never an
 * older one after a newer one, and its stream ends with the first final status from either side.
 */
export function withLiveUpdates(watcher: StatusWatcher, live: LiveUpdates): StatusWatcher {
  return {
    ...watcher,
    async follow(ctx, requestId, listener) {
      let last: CheckoutStatus | undefined;
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        stopLive();
        listener.onEnd();
      };
      const relay: StatusListener = {
        onStatus(status) {
          if (ended || (last && (status.status === last.status || statusRank(status.status) < statusRank(last.status)))) return;
          last = status;
          listener.onStatus(status);
          if (status.final) end();
        },
        onEnd: end,
      };
      const stopLive = live.subscribe(requestId, (status) => {
        // Pushed changes only continue a stream that has started with the watcher's first status.
        if (last) relay.onStatus(status);
      });
      try {
        const unsubscribe = await watcher.follow(ctx, requestId, relay);
        return () => {
          stopLive();
          unsubscribe();
        };
      } catch (error) {
        stopLive();
        throw error;
      }
    },
  };
}
