import type { CheckoutStatus } from '../checkout/schemas.js';
import type { ObservationSource } from '../checkout/status-cache.js';
import { AppError, CheckoutNotFoundError, MerchantWebhooksOffError, RecordsUnavailableError } from '../errors/app-errors.js';
import type { CallContext } from '../upstream/flinks-pay/client.js';
import type { PaymentStatus } from '../upstream/flinks-pay/schemas.js';
import type { RerunOutcome } from './job-queue.js';
import type { ListPosition } from './outcome-listing.js';
import type { OutcomeStore } from './outcome-store.js';

/** Checkouts per page of the operations listing. */
const OPS_PAGE_SIZE = 50;

export interface OpsConsoleDeps {
  store: OutcomeStore;
  /** The shared status read (always asks Flinks; records the observation like any other read). */
  readFresh: (ctx: CallContext, requestId: string, source: ObservationSource) => Promise<CheckoutStatus>;
  /** Sends a checkout's latest status event again; absent when merchant webhooks are off. */
  redeliver?: (requestId: string) => Promise<{ webhookId: string; outcome: RerunOutcome } | undefined>;
}

/** The store failing is our outage: answered 503, never a misleading "not found". */
async function fromStore<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new RecordsUnavailableError({ cause: error });
  }
}

/**
 * What the operations API does (docs/operations-console.md): list and read outcome records, read
 * a checkout from Flinks now, send its webhook again. Records hold no customer name or e-mail, so
 * nothing here can return one.
 */
export function createOpsConsole({ store, readFresh, redeliver }: OpsConsoleDeps) {
  async function detail(requestId: string) {
    const [record, history, deliveries] = await fromStore(() => Promise.all([store.get(requestId), store.history(requestId), store.deliveries(requestId)]));
    if (!record) throw new CheckoutNotFoundError(requestId);
    return { ...record, history, deliveries };
  }

  async function recordOf(requestId: string) {
    const record = await fromStore(() => store.get(requestId));
    if (!record) throw new CheckoutNotFoundError(requestId);
    return record;
  }

  return {
    /** Checkouts created here, newest first, a page at a time. */
    async list(query: { referenceId?: string; status?: PaymentStatus; after?: ListPosition }) {
      const page = await fromStore(() => store.list({ ...query, limit: OPS_PAGE_SIZE }));
      return {
        items: page.items.map(({ requestId, referenceId, status, final, createdAt, updatedAt }) => ({
          requestId,
          referenceId,
          status,
          final,
          createdAt,
          updatedAt,
        })),
        next: page.next,
      };
    },

    /** One record with each status seen and each merchant webhook attempt. */
    detail,

    /** Reads the status from Flinks now (only for checkouts created here) and answers the record. */
    async refresh(ctx: CallContext, requestId: string) {
      await recordOf(requestId);
      await readFresh(ctx, requestId, 'operator');
      return detail(requestId);
    },

    /** Queues the latest status event again: same webhook-id, a new attempt. */
    async redeliver(requestId: string) {
      if (!redeliver) throw new MerchantWebhooksOffError();
      const record = await recordOf(requestId);
      const queued = await fromStore(() => redeliver(requestId));
      if (!queued) throw new CheckoutNotFoundError(requestId);
      return { requestId, status: record.status, webhookId: queued.webhookId, queued: queued.outcome };
    },
  };
}

export type OpsConsole = ReturnType<typeof createOpsConsole>;
