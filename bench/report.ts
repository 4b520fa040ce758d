import type { CheckoutTimings } from './service-timings.js';
import type { Sample } from './drivers.js';

export type Kind = 'checkout' | 'status';

export interface Row {
  kind: Kind;
  who: 'floor' | 'BFF prefetch' | 'BFF prefetch, Redis' | 'BFF no prefetch' | 'BFF uncached' | 'BFF cached 2 s';
  /** Per-call latency of the fake Flinks. */
  latencyMs: number;
  connections: number;
  scenario: string;
  sample: Sample;
  /** Highest BFF resident set size seen during the run, in bytes (absent for the floor). */
  rssBytes?: number;
  /** CPU time the BFF process spent per successful request during the run, in ms. */
  cpuMsPerRequest?: number;
  /** CPU used by all benchmark processes together (driver, fake Flinks, BFFs), in cores. */
  coresUsed: number;
  /** A BFF's checkouts as it timed them itself (service-timings.ts). */
  timings?: CheckoutTimings;
}

export interface Stats {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export function statsOf({ durationsMs, errors, elapsedS }: Sample): Stats {
  const sorted = Float64Array.from(durationsMs).sort();
  const values = Array.from(sorted);
  return { rps: durationsMs.length / elapsedS, p50: percentile(values, 50), p99: percentile(values, 99), errors };
}

/** The arithmetic mean; 0 for no values. */
export const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** The range of the per-round ratios of `a` over `b` (rounds that ran side by side), as "0.91–1.07". */
export function ratioRange(a: readonly number[], b: readonly number[]): string {
  const rounds = a.map((value, i) => value / (b[i] ?? Number.NaN));
  return `${Math.min(...rounds).toFixed(2)}–${Math.max(...rounds).toFixed(2)}`;
}

export const mb = (bytes: number | undefined): string => (bytes === undefined ? '-' : `${(bytes / 2 ** 20).toFixed(0)} MB`);
const ms = (value: number): string => value.toFixed(2);

/** The floor run a BFF run is compared with: same kind, upstream latency and concurrency. */
export function floorOf(rows: readonly Row[], row: Row): Row | undefined {
  if (row.who === 'floor') return undefined;
  return rows.find((f) => f.who === 'floor' && f.kind === row.kind && f.latencyMs === row.latencyMs && f.connections === row.connections);
}

/** A Markdown table (it reads fine in a terminal and pastes into the README as is). */
export function table(rows: readonly Row[]): string {
  const lines = [
    '| scenario | conns | req/s | p50 ms | p99 ms | errors | BFF RSS | BFF CPU ms/req | cores used | req/s ÷ floor | p50 ÷ floor |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const row of rows) {
    const s = statsOf(row.sample);
    const floor = floorOf(rows, row);
    const f = floor ? statsOf(floor.sample) : undefined;
    const ratios = f ? [(s.rps / f.rps).toFixed(2), (s.p50 / f.p50).toFixed(2)] : ['', ''];
    const cpu = row.cpuMsPerRequest === undefined ? '-' : ms(row.cpuMsPerRequest);
    const cores = row.coresUsed.toFixed(2);
    const cells = [row.scenario, row.connections, s.rps.toFixed(0), ms(s.p50), ms(s.p99), s.errors, mb(row.rssBytes), cpu, cores, ...ratios];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export interface Target {
  name: string;
  measured: string;
  isMet: boolean;
  /** e.g. "+1.4 ms over" or "12 % under the limit". */
  margin: string;
}

/** A target met when `value` is at least `min`, with its margin in per cent. */
export function atLeast(name: string, value: number, min: number, measured: string): Target {
  const isMet = value >= min;
  return { name, measured, isMet, margin: `${Math.abs((value / min - 1) * 100).toFixed(0)} % ${isMet ? 'above' : 'below'} the target` };
}

export function targetLines(targets: readonly Target[]): string {
  return targets.map((t) => `${t.isMet ? 'PASS' : 'MISS'}  ${t.name}: ${t.measured} (${t.margin})`).join('\n');
}
