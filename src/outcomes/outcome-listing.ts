import type { PaymentStatus } from '../upstream/flinks-pay/schemas.js';
import type { OutcomeRecord } from './schemas.js';

/*
 * Listing outcome records newest first (the operations console), the same way in Redis and in
 * memory: each store walks an index of (creation time, requestId), by order id or of every
 * checkout, and this collects a page from it. The order is total (creation time, then requestId,
 * both descending), so a position in it is a stable cursor even when checkouts share a millisecond
 * and new ones arrive between pages.
 */

/** A place in the newest-first order: the page after it starts with the next older entry. */
export interface ListPosition {
  at: number;
  requestId: string;
}

export interface ListQuery {
  referenceId?: string;
  status?: PaymentStatus;
  after?: ListPosition;
  limit: number;
}

export interface ListPage {
  items: OutcomeRecord[];
  /** Where the next page starts; null when nothing older is left. */
  next: ListPosition | null;
}

/**
 * Index entries looked at per page at most. A status filter is applied to records (the indexes
 * hold no status), so a rare status could otherwise make one request read every record kept; past
 * this a page ends early, shorter than `limit`, with a cursor to go on from.
 */
const MAX_SCANNED_PER_PAGE = 1000;

/** True when `entry` comes after `position` in newest-first order. */
export function isAfter(entry: ListPosition, position: ListPosition | undefined): boolean {
  if (!position) return true;
  return entry.at < position.at || (entry.at === position.at && entry.requestId < position.requestId);
}

/** Newest first: later creation time first, then the greater requestId. */
export function newestFirst(a: ListPosition, b: ListPosition): number {
  if (a.at !== b.at) return b.at - a.at;
  return a.requestId < b.requestId ? 1 : a.requestId > b.requestId ? -1 : 0;
}

/**
 * One page from `batches` (index entries after the cursor, newest first, in batches) and `load`
 * (their records, undefined for one gone meanwhile), filtered by status.
 */
export async function collectPage(
  batches: AsyncIterable<ListPosition[]>,
  load: (requestIds: string[]) => Promise<(OutcomeRecord | undefined)[]>,
  query: ListQuery,
): Promise<ListPage> {
  const items: OutcomeRecord[] = [];
  let scanned = 0;
  for await (const batch of batches) {
    const records = await load(batch.map((entry) => entry.requestId));
    for (const [index, entry] of batch.entries()) {
      scanned += 1;
      const record = records[index];
      if (record && (query.status === undefined || record.status === query.status)) items.push(record);
      if (items.length === query.limit || scanned >= MAX_SCANNED_PER_PAGE) return { items, next: entry };
    }
  }
  return { items, next: null };
}
