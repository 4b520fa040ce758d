import type { RecordedCall, SandboxFault, SandboxStep } from './calls.js';
import { isPaymentStatus, type PaymentStatus } from './statuses.js';

export type { RecordedCall, SandboxFault, SandboxStep };

/*
 * In-process control handle for tests: records every call to the four API routes and lets a test
 * script faults. Deliberately not an HTTP route, so nothing reachable over the network can change
 * sandbox behaviour.
 */

/** What setStatus acts on: the sandbox state, attached by the plugin (kept abstract: no import cycle). */
export interface StatusTarget {
  setStatus(requestId: string, status: PaymentStatus): boolean;
}

export interface SandboxControl {
  /** Oldest first; beyond `maxCalls` the oldest are dropped. */
  readonly calls: RecordedCall[];
  count(step: SandboxStep): number;
  /** The next `times` calls of `step` get `fault` instead of normal handling. */
  inject(step: SandboxStep, fault: SandboxFault, times?: number): void;
  /** Resolves with the `nth` (1-based) recorded call of `step`, as soon as it arrives. */
  waitForCall(step: SandboxStep, nth?: number): Promise<RecordedCall>;
  /** Returns false when the payment request is unknown (or expired); throws for an undocumented status. */
  setStatus(requestId: string, status: PaymentStatus): boolean;
  /** Clears recorded calls and pending faults; sandbox state (tokens, sessions) is kept. */
  reset(): void;
}

/** Plugin-side view of a control handle; not exported from the package surface. */
export interface ControlInternals {
  attach(target: StatusTarget): void;
  record(call: RecordedCall): void;
  takeFault(step: SandboxStep): SandboxFault | undefined;
}

/** Bounds memory when the standalone sandbox runs for days. */
export const MAX_RECORDED_CALLS = 1000;

export interface SandboxControlOptions {
  /** How many recorded calls to keep (default MAX_RECORDED_CALLS). */
  maxCalls?: number;
}

const internals = new WeakMap<SandboxControl, ControlInternals>();

export function createSandboxControl({ maxCalls = MAX_RECORDED_CALLS }: SandboxControlOptions = {}): SandboxControl {
  const calls: RecordedCall[] = [];
  const faults = new Map<SandboxStep, { fault: SandboxFault; remaining: number }[]>();
  const waiters: { step: SandboxStep; nth: number; resolve: (call: RecordedCall) => void }[] = [];
  const seen = new Map<SandboxStep, RecordedCall[]>();
  let state: StatusTarget | undefined;

  const control: SandboxControl = {
    calls,
    count: (step) => calls.filter((call) => call.step === step).length,
    inject(step, fault, times = 1) {
      if (!Number.isInteger(times) || times < 1) throw new RangeError('times must be a positive integer');
      const queue = faults.get(step) ?? [];
      queue.push({ fault, remaining: times });
      faults.set(step, queue);
    },
    waitForCall(step, nth = 1) {
      const already = seen.get(step)?.[nth - 1];
      if (already) return Promise.resolve(already);
      return new Promise((resolve) => waiters.push({ step, nth, resolve }));
    },
    setStatus(requestId, status) {
      if (!state) throw new Error('sandbox control is not attached to a running sandbox');
      // Callers may be plain JavaScript: only a documented status can be forced.
      if (!isPaymentStatus(status)) throw new RangeError(`not a Flinks Pay status: ${String(status)}`);
      return state.setStatus(requestId, status);
    },
    reset() {
      calls.length = 0;
      faults.clear();
      seen.clear();
    },
  };

  internals.set(control, {
    attach(attached) {
      state = attached;
    },
    record(call) {
      calls.push(call);
      if (calls.length > maxCalls) calls.shift();
      const ofStep = seen.get(call.step) ?? [];
      // waitForCall only sees the first maxCalls calls per step since reset(); enough for a test.
      if (ofStep.length < maxCalls) ofStep.push(call);
      seen.set(call.step, ofStep);
      for (const waiter of waiters.filter((w) => w.step === call.step && w.nth === ofStep.length)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(call);
      }
    },
    takeFault(step) {
      const queue = faults.get(step);
      const head = queue?.[0];
      if (!queue || !head) return undefined;
      head.remaining -= 1;
      if (head.remaining === 0) queue.shift();
      return head.fault;
    },
  });
  return control;
}

export function controlInternals(control: SandboxControl): ControlInternals {
  const found = internals.get(control);
  if (!found) throw new TypeError('not a sandbox control handle; use createSandboxControl()');
  return found;
}
