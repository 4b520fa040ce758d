/*
 * Flinks Pay checkout, the drop-in browser client: GET /client/flinks-pay-checkout.js of the
 * checkout service, one dependency-free ES module bundled from this folder (docs/browser-client.md).
 *
 *   import { pay } from 'https://bff.example.com/client/flinks-pay-checkout.js';
 *   const outcome = await pay({ amount: '49.95', customer: { firstName, lastName, email } });
 *
 * Only a status read from the service settles a payment: the app's events are hints (any window
 * can post a message), and the popup or frame may close at any moment.
 */
import { digest, forgetAttempt, loadAttempt, newAttempt, redirectedAttempt, saveAttempt, type Attempt } from './attempts.js';
import { endsAttempt, isPaid, postCheckout, readStatusPatiently } from './http.js';
import { CheckoutRefusedError, PaymentInProgressError, type CheckoutStatus, type PayMode, type PayOptions, type PayOutcome } from './types.js';
import { showInOverlay, showInPopup, showPreparing, type AppView } from './views.js';
import { watch, type Watch } from './watch.js';

export { CheckoutRefusedError, PaymentInProgressError, PaymentNotCompletedError } from './types.js';
export type { AppEvent, CheckoutCreated, CheckoutStatus, Customer, PaymentStatus, PayMode, PayOptions, PayOutcome, Problem } from './types.js';

type Started = Attempt & { requestId: string; launchUrl: string };

/**
 * A callback of the merchant's that throws must not stop the payment halfway (an app left open, a
 * paid status not kept): its error is reported as an uncaught one would be, and the payment goes on.
 */
function guarded<A>(callback: ((arg: A) => void) | undefined): ((arg: A) => void) | undefined {
  if (!callback) return undefined;
  return (arg) => {
    try {
      callback(arg);
    } catch (error) {
      reportError(error);
    }
  };
}

/** The service's URL: `endpoint`, or the origin this module was served from. */
function baseOf(endpoint: string | undefined): string {
  return (endpoint ?? new URL(import.meta.url).origin).replace(/\/+$/, '');
}

/** The POST /checkout body of an order (`intent` is the string, a function's already called). */
const orderOf = ({ amount, referenceId, customer }: PayOptions, intent: string | undefined): Record<string, unknown> => ({
  amount,
  referenceId,
  intent,
  customer,
});
/** The order as the stored attempt knows it: no name or e-mail, a digest. */
const fingerprintOf = (base: string, body: Record<string, unknown>): string => digest(JSON.stringify([base, body]));

/** The status of this tab's earlier attempt at the same order, when it may still pay (or has paid). */
async function resumable(base: string, stored: Attempt | undefined): Promise<CheckoutStatus | undefined> {
  if (!stored?.requestId) return undefined;
  if (stored.paid) return stored.paid;
  try {
    // A blip (the network, a 503) is waited out: rejecting would leave the shopper a Pay button to press again.
    const status = await readStatusPatiently(base, stored.requestId);
    return isPaid(status) || !status.final ? status : undefined;
  } catch (error) {
    // Unknown to the service (its store was reset): start again.
    if (error instanceof CheckoutRefusedError && error.status === 404) return undefined;
    throw error;
  }
}

/** Resumes this tab's attempt at the same order when it may still pay, else starts one with a fresh key. */
async function begin(base: string, body: Record<string, unknown>): Promise<{ attempt: Started; status?: CheckoutStatus }> {
  const fingerprint = fingerprintOf(base, body);
  const stored = loadAttempt(fingerprint);
  const status = await resumable(base, stored);
  if (status && stored?.requestId && stored.launchUrl) {
    return { attempt: { ...stored, requestId: stored.requestId, launchUrl: stored.launchUrl }, status };
  }
  // The same order whose answer never arrived (a reload mid-POST): the same key, so the service replays it.
  const attempt = stored && !stored.requestId ? stored : newAttempt(fingerprint, base);
  saveAttempt(attempt);
  let created;
  try {
    created = await postCheckout(base, body, attempt.key);
  } catch (error) {
    // Refused for good by the service (its 502 is kept for its key): paying again is a new attempt with
    // a new key. A lost answer, a busy service or a proxy's error page keeps the attempt, so paying
    // again replays the first checkout, which may exist.
    if (error instanceof CheckoutRefusedError && endsAttempt(error)) forgetAttempt(fingerprint);
    throw error;
  }
  const started = { ...attempt, ...created };
  saveAttempt(started);
  return { attempt: started };
}

async function start(options: PayOptions, mode: PayMode, popup: Window | null): Promise<PayOutcome> {
  const base = baseOf(options.endpoint);
  const onStatus = guarded(options.onStatus);
  const onEvent = guarded(options.onEvent);
  const onCheckout = guarded(options.onCheckout);
  let begun: Awaited<ReturnType<typeof begin>>;
  try {
    const intent = typeof options.intent === 'function' ? await options.intent() : options.intent;
    begun = await begin(base, orderOf(options, intent));
  } catch (error) {
    popup?.close();
    throw error;
  }
  const { attempt, status } = begun;
  onCheckout?.({ requestId: attempt.requestId, launchUrl: attempt.launchUrl });
  if (status && isPaid(status)) {
    popup?.close();
    saveAttempt({ ...attempt, paid: status });
    onStatus?.(status);
    return { ...status, paid: true };
  }
  if (mode === 'redirect') return redirect({ base, attempt, onStatus });
  // The overlay stands in for a blocked popup only: a popup the shopper closed already is a close.
  const open = (closed: () => void): AppView => (popup ? showInPopup(popup, attempt.launchUrl, closed) : showInOverlay(attempt.launchUrl, closed));
  return watch({ base, attempt, onStatus, onEvent, open });
}

/**
 * No pagehide this long after the tab was sent to the app: the navigation was cancelled (the
 * shopper chose Stay at a beforeunload prompt of the page's), or has not left yet.
 */
const STAY_MS = 5000;

/**
 * Redirect mode: the tab goes to the app. A page loaded anew on return calls resume(); this page,
 * restored by the back/forward cache, goes on here, and so it does when the tab stayed. Either way
 * settled like a closed popup, so that Pay again can resume the checkout.
 */
async function redirect(watching: Watch & { attempt: Started }): Promise<PayOutcome> {
  saveAttempt({ ...watching.attempt, redirect: true });
  let stay = (): void => undefined;
  let onShow: (event: PageTransitionEvent) => void = () => undefined;
  const back = new Promise<void>((resolve) => {
    stay = resolve;
    onShow = (event) => {
      if (event.persisted) resolve();
    };
  });
  window.addEventListener('pageshow', onShow);
  location.assign(watching.attempt.launchUrl);
  // Counted once assign returns: a beforeunload prompt holds it until the shopper answers.
  const timer = setTimeout(stay, STAY_MS);
  const tab = { hasLeft: false };
  const onHide = (): void => {
    tab.hasLeft = true;
    clearTimeout(timer);
  };
  window.addEventListener('pagehide', onHide);
  try {
    await back;
    return await watch({ ...watching, hasLeft: true });
  } catch (error) {
    // Settled as a stay, but the tab was only slow to leave: when it does go to the app after all,
    // a page loaded on the way back must still resume the checkout and hear how it ended.
    if (!tab.hasLeft) {
      window.addEventListener(
        'pagehide',
        () => {
          saveAttempt({ ...watching.attempt, redirect: true });
        },
        { once: true },
      );
    }
    throw error;
  } finally {
    window.removeEventListener('pageshow', onShow);
    window.removeEventListener('pagehide', onHide);
  }
}

/** The payment under way in this tab, and the order it is for. */
let running: { outcome: Promise<PayOutcome>; isFor: (options: PayOptions) => boolean } | undefined;

/**
 * Whether two calls of `pay` are for the same order: the same service, amount, reference, customer
 * and intent. An intent still to be fetched says nothing yet, and a click handler makes a new
 * function each time, so any two such calls count as one order (the outcome names its referenceId).
 */
function sameOrderAs(first: PayOptions): (options: PayOptions) => boolean {
  const orderText = (options: PayOptions) =>
    JSON.stringify([baseOf(options.endpoint), orderOf(options, typeof options.intent === 'function' ? '(to be fetched)' : options.intent)]);
  const text = orderText(first);
  return (options) => orderText(options) === text;
}

/**
 * Whether this tab paid for the order already, known before anything opens; not when the intent is
 * still to be fetched (the popup then opens for the click, and closes).
 */
function isPaidHere(options: PayOptions): boolean {
  return typeof options.intent !== 'function' && loadAttempt(fingerprintOf(baseOf(options.endpoint), orderOf(options, options.intent)))?.paid !== undefined;
}

/**
 * Takes the shopper through a Flinks Pay checkout. Call it from a click: it opens the popup then
 * and there. A second call for the same order while it runs (a double click) gets the same
 * promise, one for another order a PaymentInProgressError; the same order paid again in this tab
 * (a reload, a retry) resumes the first checkout instead of paying twice.
 */
export function pay(options: PayOptions): Promise<PayOutcome> {
  if (running) return running.isFor(options) ? running.outcome : Promise.reject(new PaymentInProgressError());
  const mode = options.mode ?? 'popup';
  // Browsers allow a popup only while a click is handled, and POST /checkout outlasts it: open it blank
  // now, unless the order is paid already (nothing is to open, not even for a moment).
  const popup = mode === 'popup' && !isPaidHere(options) ? window.open('', 'flinks-pay', 'popup,width=480,height=720') : null;
  if (popup) showPreparing(popup);
  const outcome = start(options, mode, popup).finally(() => {
    running = undefined;
  });
  running = { outcome, isFor: sameOrderAs(options) };
  return outcome;
}

/**
 * For the page the shopper returns to after `pay({ mode: 'redirect' })`: follows that checkout to
 * its outcome like `pay`. Resolves `null` when this tab has no redirected payment under way.
 */
export function resume(options: Pick<PayOptions, 'onStatus'> = {}): Promise<PayOutcome | null> {
  const attempt = redirectedAttempt();
  if (attempt?.requestId === undefined) return Promise.resolve(null);
  // The shopper is back on a page of the shop, so has left the app: as after Back to a restored page.
  return watch({ base: attempt.base, attempt: { ...attempt, requestId: attempt.requestId }, onStatus: guarded(options.onStatus), hasLeft: true });
}
