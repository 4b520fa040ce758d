import type { components } from './bff-api.js';

type Schemas = components['schemas'];
/** A checkout as `GET /checkout/{requestId}` describes it (`reason` only when Flinks gives one). */
export type CheckoutStatus = Schemas['CheckoutStatus'] & { reason?: string };
export type PaymentStatus = CheckoutStatus['status'];
/** An RFC 9457 problem, as every error of the service is. */
export type Problem = Schemas['Problem'];
/** The shopper, who must be the holder of the bank account. */
export type Customer = Schemas['CustomerInput'];
export type CheckoutCreated = Schemas['CheckoutCreated'];
/** `popup` (the default) falls back to `iframe` when the browser blocks the popup. */
export type PayMode = 'popup' | 'iframe' | 'redirect';

/** A Flinks Pay app event (APP_MOUNTED, INSTITUTION_SELECTED, SUCCESS, CLOSE, ...) and the message it came in. */
export interface AppEvent {
  step: string;
  data: unknown;
}

export interface PayOptions {
  customer: Customer;
  /** CAD, e.g. `'49.95'`. Leave out when `intent` is given. */
  amount?: string | number;
  /** Your order id. To pay for the same cart twice in one tab, give each payment its own. */
  referenceId?: string;
  /** A checkout intent signed by your backend, or a function that fetches one (called once the window is open). */
  intent?: string | (() => Promise<string>);
  mode?: PayMode;
  /** The checkout service's URL; default: the origin this module was loaded from. */
  endpoint?: string;
  /** The Flinks app's progress events, from the app's origin only: hints for a UI, never proof of payment. */
  onEvent?: (event: AppEvent) => void;
  /** Once the checkout exists (or an earlier one is resumed): its requestId, e.g. to note beside your order. */
  onCheckout?: (checkout: CheckoutCreated) => void;
  /** Every status read from the service, in order. */
  onStatus?: (status: CheckoutStatus) => void;
}

/** What `pay` resolves with (`paid: true`): Flinks reports Accepted, Processed or Settled, so the funds are guaranteed. */
export interface PayOutcome extends CheckoutStatus {
  paid: true;
}

/** The last status known of a checkout: `referenceId` is null while no status has been read. */
export type LastStatus = Omit<CheckoutStatus, 'referenceId'> & { referenceId: string | null };

/**
 * The rejection of a payment that did not go through: `final` with Declined, Cancelled, Expired or
 * Failed; not `final` when the shopper closed the Flinks window first, or came Back from it in
 * redirect mode (`pay` again resumes it). Its `referenceId` is null when the window closed before
 * any status was read.
 */
export class PaymentNotCompletedError extends Error {
  declare readonly requestId: string;
  declare readonly status: PaymentStatus;
  declare readonly referenceId: string | null;
  declare readonly final: boolean;
  declare readonly reason?: string;
  declare readonly paid: false;

  constructor(status: LastStatus) {
    super(status.final ? `The payment ended ${status.status}.` : 'The Flinks Pay window was closed before the payment was done.');
    Object.assign(this, status, { paid: false });
  }
}

/** The rejection of a checkout the service refused: its problem+json body (`status` is the HTTP status). */
export class CheckoutRefusedError extends Error {
  declare readonly type: string;
  declare readonly title: string;
  declare readonly status: number;
  declare readonly detail: string;
  declare readonly instance: string;
  declare readonly requestId: string;
  declare readonly errors?: Problem['errors'];

  constructor(problem: Problem) {
    super(problem.detail);
    Object.assign(this, problem);
  }
}

/**
 * The rejection of `pay` for another order while one is under way in this tab: that one goes on
 * (its promise settles as usual), and nothing is opened or sent for this one.
 */
export class PaymentInProgressError extends Error {
  constructor() {
    super('Another payment is under way in this tab: pay for this order once it has settled.');
  }
}

// On the prototypes, so the errors' own properties are exactly the documented bodies.
Object.defineProperty(PaymentNotCompletedError.prototype, 'name', { value: 'PaymentNotCompletedError' });
Object.defineProperty(CheckoutRefusedError.prototype, 'name', { value: 'CheckoutRefusedError' });
Object.defineProperty(PaymentInProgressError.prototype, 'name', { value: 'PaymentInProgressError' });
