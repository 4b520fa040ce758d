import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  type CircuitBreakerPolicy,
  CircuitState as BreakerState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { OverloadedError, UpstreamRejectedError, UpstreamTimeoutError, UpstreamUnavailableError, type UpstreamStep } from '../../errors/app-errors.js';

export interface ResilienceOptions {
  /** Consecutive failures of one Flinks call that open its circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe call may try again. */
  halfOpenAfterMs: number;
  /** Upstream calls in flight at once; beyond it calls wait in a bounded queue. */
  maxConcurrency: number;
  maxQueue: number;
}

/**
 * Failures that say Flinks is unwell. A 4xx, or JSON in a shape the client does not read, is an
 * answer about this call, not about Flinks: one payment request in a status nobody documented
 * would otherwise pause the status reads of every checkout.
 */
function isUpstreamFault(error: unknown): boolean {
  if (error instanceof UpstreamTimeoutError) return true;
  if (!(error instanceof UpstreamRejectedError) || error.aboutThisCall) return false;
  const status = error.upstreamStatus;
  return status === undefined || status < 400 || status >= 500;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/** One value per Flinks call. */
function perStep<T>(make: (step: UpstreamStep) => T): Record<UpstreamStep, T> {
  return { authorize: make('authorize'), initiate: make('initiate'), paymentrequest: make('paymentrequest'), status: make('status') };
}

function stateOf(breaker: CircuitBreakerPolicy): CircuitState {
  if (breaker.state === BreakerState.HalfOpen) return 'half-open';
  return breaker.state === BreakerState.Closed ? 'closed' : 'open';
}

/**
 * Guards every upstream call: a circuit breaker answers 503 at once while Flinks keeps failing
 * (instead of piling requests onto it), and a bulkhead bounds how many calls wait on it.
 *
 * One circuit per call (authorize, session, payment request, status): Flinks can fail one endpoint
 * while it answers the others, and the authorize calls that succeed before each failing session
 * call would otherwise reset a shared count of consecutive failures, so that circuit never opened.
 */
export function createUpstreamResilience(options: ResilienceOptions) {
  const breakers = perStep(() =>
    circuitBreaker(handleWhen(isUpstreamFault), {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.failureThreshold),
    }),
  );
  const limiter = bulkhead(options.maxConcurrency, options.maxQueue);
  // When each open circuit lets its probe through (cockatiel keeps its own copy, on the same clock).
  const probeAt = perStep(() => 0);
  /** Retry-After while `step`'s circuit is open: until its probe, at least a second. */
  const untilProbe = (step: UpstreamStep): number => Math.max(1, Math.ceil((probeAt[step] - Date.now()) / 1000));
  for (const [step, breaker] of Object.entries(breakers) as [UpstreamStep, CircuitBreakerPolicy][]) {
    breaker.onBreak(() => {
      probeAt[step] = Date.now() + options.halfOpenAfterMs;
    });
  }

  return {
    /**
     * `isTooLate`, asked when the call leaves the queue: true refuses it unsent (a 504), for a call
     * whose request can no longer use its answer (CallContext.notAfter).
     */
    async run<T>(step: UpstreamStep, call: () => Promise<T>, isTooLate?: () => boolean): Promise<T> {
      const breaker = breakers[step];
      try {
        // The bulkhead outside the breaker, nested by hand: cockatiel's wrap() copies a context
        // object per layer and call, which costs more than the two policies themselves.
        return await limiter.execute(() => {
          if (isTooLate?.()) throw new UpstreamTimeoutError(step);
          return breaker.execute(call);
        });
      } catch (error) {
        if (error instanceof BrokenCircuitError) throw new UpstreamUnavailableError(untilProbe(step), { cause: error });
        if (error instanceof BulkheadRejectedError) {
          throw new OverloadedError(1, 'Too many calls to Flinks Pay are waiting already.');
        }
        throw error;
      }
    },
    /**
     * Refuses (503) what would need one of `steps` while its circuit is open, or probing with
     * another call: a checkout whose payment request cannot go out is refused before its authorize
     * and session calls, which would leave a session at Flinks for nothing. Once an open circuit is
     * due to probe, one request goes on, and its call is the probe; the ones after it are refused
     * as before until the probe has closed the circuit, or for another pause when it failed.
     */
    assertAvailable(steps: readonly UpstreamStep[]): void {
      const due: UpstreamStep[] = [];
      for (const step of steps) {
        const state = breakers[step].state;
        if (state === BreakerState.HalfOpen) throw new UpstreamUnavailableError(1);
        if (state !== BreakerState.Open) continue;
        if (Date.now() < probeAt[step]) throw new UpstreamUnavailableError(untilProbe(step));
        due.push(step);
      }
      // Claimed only once no step refuses, so a refused request never postpones a probe.
      for (const step of due) probeAt[step] = Date.now() + options.halfOpenAfterMs;
    },
    /** Each call's circuit: 'closed', 'open' or 'half-open', for metrics. */
    circuitStates(): Record<UpstreamStep, CircuitState> {
      return perStep((step) => stateOf(breakers[step]));
    },
    /** Calls waiting for a free slot (UPSTREAM_MAX_CONCURRENCY in flight already), for metrics. */
    queuedCalls(): number {
      return options.maxQueue - limiter.queueSlots;
    },
  };
}
