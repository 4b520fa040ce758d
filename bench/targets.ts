import { floorOf, mb, statsOf, type Kind, type Row, type Target } from './report.js';

/** The targets of issue 6, computed from one run's rows. */
export interface TargetInput {
  rows: readonly Row[];
  latencyMs: number;
  maxConnections: number;
  /** RSS of the prefetch BFF right after start and after the idle pause that follows the load. */
  rss: { baseline?: number; after?: number };
}

const RSS_LIMIT = 150 * 2 ** 20;

function notMeasured(name: string): Target {
  return { name, measured: 'not measured with these settings', isMet: false, margin: 'n/a' };
}

function pct(value: number): string {
  return `${Math.abs(value * 100).toFixed(0)} %`;
}

export function evaluateTargets({ rows, latencyMs, maxConnections, rss }: TargetInput): Target[] {
  const find = (kind: Kind, who: Row['who'], latency: number, connections?: number) =>
    rows.find((r) => r.kind === kind && r.who === who && r.latencyMs === latency && (connections === undefined || r.connections === connections));
  const targets: Target[] = [];

  const p50Name = `checkout p50 <= 2.3 x ${latencyMs} ms (prefetch, 10 connections)`;
  const quick = find('checkout', 'BFF prefetch', latencyMs, 10);
  if (quick) {
    const { p50 } = statsOf(quick.sample);
    const limit = 2.3 * latencyMs;
    const gap = p50 - limit;
    // The floor's checkout is three sequential calls: a third of its p50 is what one call costs here.
    const floor = floorOf(rows, quick);
    const twoCalls = floor ? `; two calls alone take ${((statsOf(floor.sample).p50 / 3) * 2).toFixed(2)} ms on the floor` : '';
    targets.push({
      name: p50Name,
      measured: `${p50.toFixed(2)} ms = ${(p50 / latencyMs).toFixed(2)} x${twoCalls}`,
      isMet: gap <= 0,
      margin: gap <= 0 ? `${(-gap).toFixed(2)} ms to spare` : `${gap.toFixed(2)} ms over`,
    });
  } else targets.push(notMeasured(p50Name));

  const throughput = (kind: Kind, who: Row['who'], min: number, name: string) => {
    const row = find(kind, who, latencyMs, maxConnections);
    const floor = row && floorOf(rows, row);
    if (!row || !floor) return notMeasured(name);
    const ratio = statsOf(row.sample).rps / statsOf(floor.sample).rps;
    return {
      name,
      measured: `${ratio.toFixed(2)} x floor`,
      isMet: ratio >= min,
      margin: ratio >= min ? `${pct(ratio / min - 1)} above the target` : `${pct(1 - ratio / min)} below the target`,
    };
  };
  targets.push(throughput('checkout', 'BFF prefetch', 0.85, `checkout req/s at ${maxConnections} connections >= 0.85 x floor`));
  targets.push(throughput('status', 'BFF uncached', 0.9, `GET status req/s at ${maxConnections} connections >= 0.9 x floor (no cache)`));

  const overheadName = 'BFF overhead per checkout at 0 ms upstream latency (p50 BFF - p50 floor) <= 1 ms';
  const zero = find('checkout', 'BFF prefetch', 0);
  const zeroFloor = zero && floorOf(rows, zero);
  const zeroDirect = find('checkout', 'BFF no prefetch', 0);
  if (zero && zeroFloor) {
    const floorP50 = statsOf(zeroFloor.sample).p50;
    const overhead = statsOf(zero.sample).p50 - floorP50;
    const direct = zeroDirect ? `; without prefetch ${(statsOf(zeroDirect.sample).p50 - floorP50).toFixed(2)} ms` : '';
    targets.push({
      name: overheadName,
      measured: `${overhead.toFixed(2)} ms at ${zero.connections} connection(s)${direct}`,
      isMet: overhead <= 1,
      margin: overhead <= 1 ? `${(1 - overhead).toFixed(2)} ms to spare` : `${(overhead - 1).toFixed(2)} ms over`,
    });
  } else targets.push(notMeasured(overheadName));

  const peak = Math.max(...rows.map((r) => r.rssBytes ?? 0));
  const { baseline, after } = rss;
  // "Returns": once idle, the process has given back at least half of what the load added.
  const hasReturned = baseline !== undefined && after !== undefined && after <= baseline + (peak - baseline) / 2;
  const isMet = peak > 0 && peak < RSS_LIMIT && hasReturned;
  targets.push({
    name: 'RSS under load < 150 MB and returning after load',
    measured: `start ${mb(baseline)}, peak under load ${mb(peak)}, after idle ${mb(after)}`,
    isMet,
    margin: peak < RSS_LIMIT ? `${mb(RSS_LIMIT - peak)} below the limit${hasReturned ? '' : '; not returned'}` : `${mb(peak - RSS_LIMIT)} over`,
  });
  return targets;
}
