import type { SandboxFault, SandboxStep } from './calls.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem.js';
import type { ApprovalOutcome } from './progression.js';

/*
 * Deterministic test triggers, in the spirit of card networks' test cards: an input the merchant
 * controls picks the behaviour, so every path can be rehearsed through the real API and app page.
 * An amount of the form NN.NN makes one API step misbehave; the last word of customerName (the
 * last name) picks how an approval ends. Triggers act only after authentication and validation (an
 * invalid call still gets its 400/401) and use the same faults as the control handle. None of this
 * is Flinks behaviour: keep sandbox/README.md "Test triggers" in step.
 */

export interface TriggerTimings {
  /** How long the slow trigger (16.16) holds its answer. */
  slowMs: number;
}

interface AmountTrigger {
  step: SandboxStep;
  fault: (timings: TriggerTimings) => SandboxFault;
}

/** A 500 whose problem body names the trigger, so nobody mistakes it for a sandbox bug. */
const failure = (amount: string, what: string): SandboxFault => ({
  kind: 'status',
  status: 500,
  contentType: PROBLEM_CONTENT_TYPE,
  body: JSON.stringify(problemBody(500, `Sandbox test trigger: amount ${amount} makes ${what} fail.`)),
});

const AMOUNT_TRIGGERS = new Map<string, AmountTrigger>([
  ['13.13', { step: 'initiate', fault: () => failure('13.13', 'sessions/initiate') }],
  ['14.14', { step: 'paymentrequest', fault: () => failure('14.14', 'paymentrequests') }],
  // Bounded by the plugin's hangLimitMs and ended on close, like every hang.
  ['15.15', { step: 'initiate', fault: () => ({ kind: 'hang' }) }],
  ['16.16', { step: 'initiate', fault: ({ slowMs }) => ({ kind: 'delay', ms: slowMs }) }],
  ['17.17', { step: 'status', fault: () => failure('17.17', 'every status read') }],
]);

/**
 * The fault the amount of a session triggers on `step`, if any. The amount is its JSON literal,
 * already checked to have at most two decimals, so `13.13` is the only way to write 13.13.
 */
export function amountFault(step: SandboxStep, amountLiteral: string, timings: TriggerTimings): SandboxFault | undefined {
  const trigger = AMOUNT_TRIGGERS.get(amountLiteral);
  return trigger?.step === step ? trigger.fault(timings) : undefined;
}

const LAST_NAME_OUTCOMES = new Map<string, ApprovalOutcome>([
  ['declined', 'Declined'],
  ['failed', 'Failed'],
]);

/** The last word of v1's one-string customerName, lower-cased: "Ada  DECLINED " → "declined". */
const lastNameOf = (customerName: string): string => customerName.trim().split(/\s+/).at(-1)?.toLowerCase() ?? '';

/** How an approval ends for this customer: Settled unless the last name says otherwise. */
export function approvalOutcomeFor(customerName: string): ApprovalOutcome {
  return LAST_NAME_OUTCOMES.get(lastNameOf(customerName)) ?? 'Settled';
}

/** Last name `Expired`: the request expires after one step instead of the full expiry time. */
export function expiresEarly(customerName: string): boolean {
  return lastNameOf(customerName) === 'expired';
}

/** Flinks reports the reason of a failure in statusDetails (§4); name mismatch is its documented example. */
export const FAILED_STATUS_DETAILS = 'NameMismatch: the name on the bank account does not match the customer name.';
