import { forgetAttempt, saveAttempt, type Attempt } from './attempts.js';
import { follow, listenToApp } from './follow.js';
import { isPaid, sleep } from './http.js';
import { PaymentNotCompletedError, type AppEvent, type CheckoutStatus, type LastStatus, type PayOutcome } from './types.js';
import type { AppView } from './views.js';

/**
 * A read right after the shopper decided (the app closed, or said SUCCESS or CLOSE) that settles
 * nothing is made again this much later: the service answers repeated reads from a cache for 2 s
 * (STATUS_CACHE_MS, by default), so the first may predate the decision. Only after the second does
 * a close count as leaving.
 */
const SECOND_READ_MS = 2500;

export interface Watch {
  base: string;
  attempt: Attempt & { requestId: string };
  onStatus?: ((status: CheckoutStatus) => void) | undefined;
  onEvent?: ((event: AppEvent) => void) | undefined;
  /** Shows the app, if any; it calls `closed` when the shopper closes it. */
  open?: (closed: () => void) => AppView;
  /** The shopper has left the app already (came Back from it in redirect mode): as if it were closed now. */
  hasLeft?: boolean;
}

/**
 * Follows the checkout until a status read from the service settles it: paid (kept, so the same
 * order resolves at once if paid for again) or ended unpaid (forgotten, so a retry is a new
 * payment). Then puts the app away.
 */
export function watch({ base, attempt, onStatus, onEvent, open, hasLeft }: Watch): Promise<PayOutcome> {
  return new Promise((resolve, reject) => {
    let last: LastStatus = { requestId: attempt.requestId, status: 'Initiated', referenceId: null, final: false };
    let sawSuccess = false;
    let isDone = false;
    let view: AppView | undefined;
    let stopListening = (): void => undefined;
    // Not paid and not over (the app closed, a read refused): told once, so a page loaded later has
    // nothing to resume(); Pay again for the order still resumes it.
    const leave = (error: Error): void => {
      if (!isDone) saveAttempt({ ...attempt, redirect: false });
      finish(error);
    };
    const finish = (outcome: PayOutcome | Error): void => {
      if (isDone) return;
      isDone = true;
      follower.stop();
      stopListening();
      view?.close();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const follower = follow(
      base,
      attempt.requestId,
      (status) => {
        if (isDone) return;
        last = status;
        onStatus?.(status);
        if (isPaid(status)) {
          saveAttempt({ ...attempt, redirect: false, paid: status });
          finish({ ...status, paid: true });
        } else if (status.final) {
          forgetAttempt(attempt.fingerprint);
          finish(new PaymentNotCompletedError(status));
        }
      },
      leave,
    );
    // Each step looks again whether the payment settled meanwhile: no read after it is over.
    const readTwice = (): Promise<void> =>
      follower
        .check()
        .then(() => (isDone ? undefined : sleep(SECOND_READ_MS)))
        .then(() => (isDone ? undefined : follower.check()));
    // The shopper closed the app: those two reads decide, unless the app said SUCCESS (its status is
    // on the way). A final status meanwhile settles it as usual.
    const closed = (): void => {
      view = undefined;
      void readTwice().then(() => {
        if (!sawSuccess) leave(new PaymentNotCompletedError({ ...last, final: false }));
      });
    };
    view = open?.(closed);
    if (hasLeft) closed();
    const appOrigin = attempt.launchUrl ? new URL(attempt.launchUrl, location.href).origin : '';
    stopListening = listenToApp(
      appOrigin,
      () => view?.window ?? null,
      (event) => {
        if (event.step === 'SUCCESS') sawSuccess = true;
        if (event.step === 'SUCCESS' || event.step === 'CLOSE') void readTwice();
        onEvent?.(event);
      },
    );
  });
}
