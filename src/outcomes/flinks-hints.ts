import { LRUCache } from 'lru-cache';
import { upToEntries } from '../store/lru-bounds.js';
import type { CheckoutStatus } from '../checkout/schemas.js';
import type { CallContext } from '../upstream/flinks-pay/client.js';
import { namesInEvent } from './flinks-events.js';
import type { OutcomeMetrics } from './metrics.js';
import type { OutcomeStore } from './outcome-store.js';
import type { OutcomeRecord } from './schemas.js';

/**
 * Webhook-triggered reads of one checkout are at least this far apart: events arriving closer
 * together (a burst of changes, or replays) are served by one more read at the end of the gap.
 */
const WEBHOOK_READ_GAP_MS = 1000;

/**
 * What a verified Flinks webhook leads to: at most a status read (the shared path, source
 * `webhook`) of the checkout created here that it names. Unknown checkouts, final ones and replays
 * cost no read; reads of one checkout stay WEBHOOK_READ_GAP_MS apart.
 */
export function createFlinksHints(deps: {
  store: OutcomeStore;
  read: (ctx: CallContext, requestId: string) => Promise<CheckoutStatus>;
  metrics: OutcomeMetrics;
  now: () => number;
}) {
  const { store, read, metrics, now } = deps;
  const webhookReads = createReadSpacing(WEBHOOK_READ_GAP_MS, now);

  /** The checkout created here that a Flinks event names, if any. */
  async function checkoutNamedBy(ctx: CallContext, body: unknown): Promise<OutcomeRecord | undefined> {
    const names = namesInEvent(body);
    for (const requestId of names.requestIds) {
      const record = await store.get(requestId);
      if (record) return record;
    }
    for (const referenceId of names.referenceIds) {
      const [requestId] = await store.findByReference(referenceId);
      const record = requestId === undefined ? undefined : await store.get(requestId);
      if (record) return record;
    }
    ctx.log.info({ requestIds: names.requestIds, referenceIds: names.referenceIds }, 'a Flinks webhook names no checkout created here; dropped');
    return undefined;
  }

  async function handle(ctx: CallContext, rawBody: Buffer): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      metrics.flinksWebhooks.inc({ outcome: 'unreadable' });
      ctx.log.warn('a signed Flinks webhook is not JSON; dropped');
      return;
    }
    const record = await checkoutNamedBy(ctx, body);
    if (!record) {
      metrics.flinksWebhooks.inc({ outcome: 'unknown' });
      return;
    }
    // A final status never changes: a replayed event for it costs nothing.
    if (record.final) {
      metrics.flinksWebhooks.inc({ outcome: 'ignored' });
      return;
    }
    const { requestId } = record;
    const when = webhookReads.claim(requestId);
    if (when === 'later-already') {
      metrics.flinksWebhooks.inc({ outcome: 'ignored' });
      return;
    }
    metrics.flinksWebhooks.inc({ outcome: 'accepted' });
    if (when === 'now') {
      await read(ctx, requestId);
      return;
    }
    webhookReads.later(requestId, when, () => {
      read(ctx, requestId).catch((error: unknown) => {
        ctx.log.warn({ err: error }, 'a Flinks webhook-triggered read failed; reconciliation will catch up');
      });
    });
  }

  return {
    handle,
    close: () => {
      webhookReads.close();
    },
  };
}

/** Spaces reads of one checkout `gapMs` apart: now, or once at the end of the gap (never more than one waiting). */
function createReadSpacing(gapMs: number, now: () => number) {
  const lastRead = new LRUCache<string, number>(upToEntries(10_000));
  const waiting = new Map<string, NodeJS.Timeout>();
  return {
    /** 'now' (and noted), a delay in ms for a read at the end of the gap, or 'later-already' when one waits. */
    claim(requestId: string): 'now' | 'later-already' | number {
      if (waiting.has(requestId)) return 'later-already';
      const at = now();
      const last = lastRead.get(requestId);
      if (last === undefined || at - last >= gapMs) {
        lastRead.set(requestId, at);
        return 'now';
      }
      return last + gapMs - at;
    },
    later(requestId: string, delayMs: number, read: () => void): void {
      const timer = setTimeout(() => {
        waiting.delete(requestId);
        lastRead.set(requestId, now());
        read();
      }, delayMs);
      timer.unref();
      waiting.set(requestId, timer);
    },
    close(): void {
      for (const timer of waiting.values()) clearTimeout(timer);
      waiting.clear();
    },
  };
}
