import type { PaymentStatus } from '../src/upstream/flinks-pay/schemas.js';

/*
 * A payment request's status is computed from timestamps each time it is read, never advanced by
 * timers: nothing to clean up on close, and a test moves time by setting the sandbox clock.
 */

export type Decision = 'approve' | 'decline' | 'cancel';

/** Where an approval ends; scenarios.ts picks it from the customer's last name. */
export type ApprovalOutcome = 'Settled' | 'Declined' | 'Failed';

export interface Timeline {
  createdAt: number;
  /** Without a decision, Initiated turns Expired this long after createdAt. */
  expiresAfterMs: number;
  approvalOutcome: ApprovalOutcome;
  decision?: { kind: Decision; at: number };
}

/** One status per `stepMs` after the approval; the last one stays. */
const APPROVAL_PATHS: Record<ApprovalOutcome, readonly [PaymentStatus, ...PaymentStatus[]]> = {
  Settled: ['Processing', 'Accepted', 'Processed', 'Settled'],
  // The bank refuses or the name check fails only after the shopper went through their bank.
  Declined: ['Processing', 'Declined'],
  Failed: ['Processing', 'Failed'],
};

export function statusAt(timeline: Timeline, now: number, stepMs: number): PaymentStatus {
  const { decision } = timeline;
  if (!decision) return now - timeline.createdAt >= timeline.expiresAfterMs ? 'Expired' : 'Initiated';
  if (decision.kind === 'cancel') return 'Cancelled';
  if (decision.kind === 'decline') return 'Declined';
  const path = APPROVAL_PATHS[timeline.approvalOutcome];
  const step = Math.max(0, Math.floor((now - decision.at) / stepMs));
  return path[Math.min(step, path.length - 1)] ?? path[0];
}
