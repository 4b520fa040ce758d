import { floorOf, statsOf, type Row, type Target } from './report.js';
import type { CheckoutTimings } from './service-timings.js';

/** The latency-bound target (docs/performance.md), from the rows of the latency-bound scenario (and for the Redis twin, when it ran). */
export function latencyTargets(rows: readonly Row[], latencyMs: number): Target[] {
  const inMemory = latencyTarget(rows, latencyMs, 'BFF prefetch', 'prefetch, 10 connections');
  const withRedis = rows.some((r) => r.who === 'BFF prefetch, Redis');
  return withRedis ? [inMemory, latencyTarget(rows, latencyMs, 'BFF prefetch, Redis', 'prefetch, 10 connections, with Redis as deployed')] : [inMemory];
}

function latencyTarget(rows: readonly Row[], latencyMs: number, who: Row['who'], settings: string): Target {
  const name = `checkout p50 <= 2.2 x ${latencyMs} ms per call (${settings})`;
  const row = rows.find((r) => r.kind === 'checkout' && r.who === who && r.latencyMs === latencyMs && r.connections === 10);
  if (!row) return { name, measured: 'not measured with these settings', isMet: false, margin: 'n/a' };
  const { p50 } = statsOf(row.sample);
  const limit = 2.2 * latencyMs;
  // One status read of the floor is one upstream call: what a call really takes on this machine,
  // against which two calls (a checkout with a prefetched token) are the least a checkout can take.
  const oneCall = rows.find((r) => r.kind === 'status' && r.who === 'floor' && r.latencyMs === latencyMs && r.connections === 10);
  const callP50 = oneCall ? statsOf(oneCall.sample).p50 : undefined;
  const floor = floorOf(rows, row);
  const measured = [
    `${p50.toFixed(2)} ms = ${(p50 / latencyMs).toFixed(2)} x ${latencyMs} ms`,
    callP50 === undefined ? '' : `one call really takes ${callP50.toFixed(2)} ms here (floor status read p50), so ${(p50 / callP50).toFixed(2)} x that`,
    floor ? `floor checkout (3 calls) p50 ${statsOf(floor.sample).p50.toFixed(2)} ms` : '',
    row.timings ? timingsText(row.timings) : '',
  ].filter(Boolean);
  const gap = p50 - limit;
  return { name, measured: measured.join('; '), isMet: gap <= 0, margin: gap <= 0 ? `${(-gap).toFixed(2)} ms to spare` : `${gap.toFixed(2)} ms over` };
}

/** How the service itself timed those checkouts: where the gap between the target and two calls comes from. */
function timingsText({ serverMs, inCallsMs, perCallMs, ownMs }: CheckoutTimings): string {
  return (
    `inside the service a checkout took ${serverMs.toFixed(2)} ms on average: ${inCallsMs.toFixed(2)} ms waiting for its Flinks calls ` +
    `(${perCallMs.toFixed(2)} ms each, as the service timed them) and ${ownMs.toFixed(2)} ms of its own`
  );
}
