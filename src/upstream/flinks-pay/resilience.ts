import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { OverloadedError, UpstreamRejectedError, UpstreamTimeoutError, UpstreamUnavailableError } from '../../errors/app-errors.js';

export interface ResilienceOptions {
  /** Consecutive upstream failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe call may try again. */
  halfOpenAfterMs: number;
  /** Upstream calls in flight at once; beyond it calls wait in a bounded queue. */
  maxConcurrency: number;
  maxQueue: number;
}

/** Failures that say Flinks is unwell. A 4xx is an answer about this call, not about Flinks. */
function isUpstreamFault(error: unknown): boolean {
  if (error instanceof UpstreamTimeoutError) return true;
  if (!(error instanceof UpstreamRejectedError)) return false;
  const status = error.upstreamStatus;
  return status === undefined || status < 400 || status >= 500;
}

/**
 * Guards every upstream call: a circuit breaker answers 503 at once while Flinks keeps failing
 * (instead of piling requests onto it), and a bulkhead bounds how many calls wait on it.
 */
export function createUpstreamResilience(options: ResilienceOptions) {
  const breaker = circuitBreaker(handleWhen(isUpstreamFault), {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.failureThreshold),
  });
  const limiter = bulkhead(options.maxConcurrency, options.maxQueue);
  const retryAfterSeconds = Math.max(1, Math.ceil(options.halfOpenAfterMs / 1000));

  return {
    async run<T>(call: () => Promise<T>): Promise<T> {
      try {
        // The bulkhead outside the breaker, nested by hand: cockatiel's wrap() copies a context
        // object per layer and call, which costs more than the two policies themselves.
        return await limiter.execute(() => breaker.execute(call));
      } catch (error) {
        if (error instanceof BrokenCircuitError) throw new UpstreamUnavailableError(retryAfterSeconds, { cause: error });
        if (error instanceof BulkheadRejectedError) {
          throw new OverloadedError(1, 'Too many calls to Flinks Pay are waiting already.');
        }
        throw error;
      }
    },
    /** 'closed', 'open' or 'half-open', for metrics and logs. */
    get circuitState(): 'closed' | 'open' | 'half-open' {
      if (breaker.state === CircuitState.HalfOpen) return 'half-open';
      return breaker.state === CircuitState.Closed ? 'closed' : 'open';
    },
  };
}

export type UpstreamResilience = ReturnType<typeof createUpstreamResilience>;
