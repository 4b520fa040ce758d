import type { PaymentStatus } from './statuses.js';

/*
 * A payment request's status is computed from timestamps each time it is read, never advanced by
 * timers: nothing to clean up on close, and a test moves time by setting the sandbox clock.
 *
 *   created ─────────────▶ Initiated        (§4: waiting for the user)
 *   opened in the app ───▶ Processing       (§4: the user is working through the flow)
 *   approve ─────────────▶ Accepted ▶ Processed ▶ Settled, one step per stepMs
 *   approve, bank says no ▶ Processing ▶ Declined | Failed one step later (name triggers)
 *   decline / cancel ────▶ Declined / Cancelled at once
 *   no decision ─────────▶ Expired once expiresAfterMs have passed since creation
 */

export type Decision = 'approve' | 'decline' | 'cancel';

/** Where an approval ends; scenarios.ts picks it from the customer's name. */
export type ApprovalOutcome = 'Settled' | 'Declined' | 'Failed';

export interface Timeline {
  createdAt: number;
  /** Without a decision, the request turns Expired this long after createdAt. */
  expiresAfterMs: number;
  approvalOutcome: ApprovalOutcome;
  /** When the shopper opened the request in the app page. */
  startedAt?: number;
  decision?: { kind: Decision; at: number };
}

/**
 * One status per `stepMs` after the approval; the last one stays. Accepted is the documented
 * moment the user approved at the bank with funds guaranteed, so an approval that will succeed
 * is Accepted at once; one the bank refuses or the name check fails stays Processing first.
 */
const APPROVAL_PATHS: Record<ApprovalOutcome, readonly [PaymentStatus, ...PaymentStatus[]]> = {
  Settled: ['Accepted', 'Processed', 'Settled'],
  Declined: ['Processing', 'Declined'],
  Failed: ['Processing', 'Failed'],
};

export function statusAt(timeline: Timeline, now: number, stepMs: number): PaymentStatus {
  const { decision } = timeline;
  if (!decision) {
    if (now - timeline.createdAt >= timeline.expiresAfterMs) return 'Expired';
    return timeline.startedAt === undefined ? 'Initiated' : 'Processing';
  }
  if (decision.kind === 'cancel') return 'Cancelled';
  if (decision.kind === 'decline') return 'Declined';
  const path = APPROVAL_PATHS[timeline.approvalOutcome];
  const step = Math.max(0, Math.floor((now - decision.at) / stepMs));
  return path[Math.min(step, path.length - 1)] ?? path[0];
}

/** Whether the shopper can still act on the request in the app: undecided and not lapsed. */
export function isOpen(timeline: Timeline, status: PaymentStatus): boolean {
  return timeline.decision === undefined && (status === 'Initiated' || status === 'Processing');
}
