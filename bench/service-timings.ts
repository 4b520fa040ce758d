/*
 * Where a latency-bound checkout's time goes, read from the service's own /metrics before and
 * after a run: the mean time it took to answer (`http_request_duration_seconds`, POST /checkout
 * 201) and the mean time of the Flinks calls a checkout waits for (`flinks_upstream_duration_seconds`,
 * initiate and paymentrequest; with prefetch, authorize runs ahead in the background). The rest is
 * what the service itself adds between receiving the request and answering it.
 */

export interface Totals {
  checkoutSeconds: number;
  checkouts: number;
  callSeconds: number;
  calls: number;
}

export interface CheckoutTimings {
  /** Mean time from request to answer, inside the service. */
  serverMs: number;
  /** Mean time per checkout spent in the Flinks calls it waits for. */
  inCallsMs: number;
  /** Mean time of one of those calls, as the service saw it. */
  perCallMs: number;
  /** serverMs − inCallsMs: the service's own share. */
  ownMs: number;
}

const WAITED_FOR = new Set(['initiate', 'paymentrequest']);

/** Sums of a Prometheus text exposition: checkouts answered 201, and the waited-for calls that succeeded. */
export function totalsOf(exposition: string): Totals {
  const totals: Totals = { checkoutSeconds: 0, checkouts: 0, callSeconds: 0, calls: 0 };
  for (const line of exposition.split('\n')) {
    const match = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match) continue;
    const [, name, labelText = '', value] = match;
    const labels: Record<string, string> = {};
    for (const [, key, text] of labelText.matchAll(/(\w+)="([^"]*)"/g)) if (key) labels[key] = text ?? '';
    const number = Number(value);
    const isCheckout = labels.method === 'POST' && labels.route === '/checkout' && labels.status_code === '201';
    const isWaitedCall = WAITED_FOR.has(labels.step ?? '') && labels.outcome === 'ok';
    if (name === 'http_request_duration_seconds_sum' && isCheckout) totals.checkoutSeconds += number;
    if (name === 'http_request_duration_seconds_count' && isCheckout) totals.checkouts += number;
    if (name === 'flinks_upstream_duration_seconds_sum' && isWaitedCall) totals.callSeconds += number;
    if (name === 'flinks_upstream_duration_seconds_count' && isWaitedCall) totals.calls += number;
  }
  return totals;
}

/** The timings of the checkouts made between two scrapes; undefined when none was. */
export function timingsBetween(before: Totals, after: Totals): CheckoutTimings | undefined {
  const checkouts = after.checkouts - before.checkouts;
  const calls = after.calls - before.calls;
  if (checkouts <= 0 || calls <= 0) return undefined;
  const callMs = (after.callSeconds - before.callSeconds) * 1000;
  const serverMs = ((after.checkoutSeconds - before.checkoutSeconds) * 1000) / checkouts;
  const inCallsMs = callMs / checkouts;
  return { serverMs, inCallsMs, perCallMs: callMs / calls, ownMs: serverMs - inCallsMs };
}
