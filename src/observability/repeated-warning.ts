import type { FastifyBaseLogger } from 'fastify';

/** Least time between two lines of the same repeated warning. */
const REPEATED_WARNING_INTERVAL_MS = 60_000;

/**
 * A warning that may repeat every second for as long as an outage lasts (a queue's Redis
 * connection failing to reconnect): the first is logged at once, then at most one line per
 * interval, which says how many were left out since the last. An hour of outage so costs about
 * sixty lines, not thousands, and the first failure is still seen when it happens.
 */
export function repeatedWarning(
  log: FastifyBaseLogger,
  message: string,
  intervalMs = REPEATED_WARNING_INTERVAL_MS,
  now: () => number = Date.now,
): (fields: Record<string, unknown>) => void {
  let loggedAt = -Infinity;
  let leftOut = 0;
  return (fields) => {
    const at = now();
    if (at - loggedAt < intervalMs) {
      leftOut++;
      return;
    }
    log.warn(leftOut > 0 ? { ...fields, leftOut } : fields, message);
    loggedAt = at;
    leftOut = 0;
  };
}
