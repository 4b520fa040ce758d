import type { CpuResult, PeerRun } from './cpu-bound.js';
import type { Peer } from './peers.js';
import { atLeast, mb, ratioRange, statsOf, type Kind, type Target } from './report.js';

/** The CPU-bound scenario as a table and the performance targets it decides (docs/performance.md). */

const NAMES: Record<Peer, string> = {
  minimal: 'minimal BFF (floor)',
  prefetch: 'service, prefetch on',
  direct: 'service, prefetch off',
};

interface Pooled {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  perRound: number[];
  cpuMsPerRequest?: number;
  rssBytes: number;
}

function pooled(runs: readonly PeerRun[]): Pooled | undefined {
  if (runs.length === 0) return undefined;
  const durationsMs = runs.flatMap((run) => run.sample.durationsMs);
  const elapsedS = runs.reduce((sum, run) => sum + run.sample.elapsedS, 0);
  const errors = runs.reduce((sum, run) => sum + run.sample.errors, 0);
  const stats = statsOf({ durationsMs, errors, elapsedS });
  const cpu = runs.map((run) => run.cpuMsPerRequest).filter((v): v is number => v !== undefined);
  return {
    ...stats,
    perRound: runs.map((run) => statsOf(run.sample).rps),
    cpuMsPerRequest: cpu.length > 0 ? cpu.reduce((a, b) => a + b, 0) / cpu.length : undefined,
    rssBytes: Math.max(...runs.map((run) => run.rssBytes ?? 0)),
  };
}

function select(result: CpuResult, peer: Peer, kind: Kind, latencyMs: number) {
  return pooled(result.runs.filter((r) => r.peer === peer && r.kind === kind && r.latencyMs === latencyMs).sort((a, b) => a.round - b.round));
}

/** req/s of `a` over `b`, pooled, and the range of the per-round ratios (rounds ran side by side). */
function ratio(a: Pooled, b: Pooled): { pooled: number; range: string } {
  return { pooled: a.rps / b.rps, range: ratioRange(a.perRound, b.perRound) };
}

export function cpuTable(result: CpuResult, latencies: readonly number[], connections: number): string {
  const lines = [
    `| scenario (${connections} connections) | req/s | p50 ms | p99 ms | errors | CPU ms/req | RSS peak | ÷ floor (pooled) | ÷ floor, per round |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const latencyMs of latencies) {
    for (const kind of ['checkout', 'status'] as const) {
      const floor = select(result, 'minimal', kind, latencyMs);
      for (const peer of ['minimal', 'prefetch', 'direct'] as const) {
        const row = select(result, peer, kind, latencyMs);
        if (!row || !floor) continue;
        const label = `${kind === 'checkout' ? 'POST /checkout' : 'GET status (uncached)'}, ${NAMES[peer]}, ${latencyMs} ms`;
        const r = peer === 'minimal' ? undefined : ratio(row, floor);
        const cpu = row.cpuMsPerRequest === undefined ? '-' : row.cpuMsPerRequest.toFixed(3);
        lines.push(
          `| ${label} | ${row.rps.toFixed(0)} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${row.errors} | ${cpu} | ${mb(row.rssBytes)} | ${r ? r.pooled.toFixed(2) : ''} | ${r ? r.range : ''} |`,
        );
      }
    }
  }
  return lines.join('\n');
}

export function cpuTargets(result: CpuResult, latencies: readonly number[]): Target[] {
  const targets: Target[] = [];
  for (const latencyMs of latencies) {
    for (const kind of ['checkout', 'status'] as const) {
      const floor = select(result, 'minimal', kind, latencyMs);
      const service = select(result, 'prefetch', kind, latencyMs);
      if (!floor || !service) continue;
      const r = ratio(service, floor);
      const what = kind === 'checkout' ? 'checkout req/s' : 'status reads/s (uncached)';
      targets.push(atLeast(`${what} at ${latencyMs} ms >= 0.9 x minimal BFF`, r.pooled, 0.9, `${r.pooled.toFixed(2)} x (rounds ${r.range})`));
    }
    const on = select(result, 'prefetch', 'checkout', latencyMs);
    const off = select(result, 'direct', 'checkout', latencyMs);
    if (on && off) {
      const r = ratio(on, off);
      targets.push(atLeast(`prefetch on >= off, checkout req/s at ${latencyMs} ms`, r.pooled, 1, `${r.pooled.toFixed(2)} x (rounds ${r.range})`));
    }
  }
  const tokens = result.prefetchTokens;
  const wasted = tokens.authorize === 0 ? 0 : tokens.unused / tokens.authorize;
  targets.push({
    name: 'tokens authorized but never used <= 2 % (prefetch on)',
    measured: `${tokens.unused} of ${tokens.authorize} = ${(wasted * 100).toFixed(2)} % (${tokens.initiate} checkouts; without prefetch ${result.directTokens.unused} of ${result.directTokens.authorize})`,
    isMet: wasted <= 0.02,
    margin: wasted <= 0.02 ? 'within' : 'over',
  });
  const { hits, misses, pooledAtStart, checkouts } = result.afterIdle;
  const hitRate = hits + misses === 0 ? 0 : hits / (hits + misses);
  targets.push(
    atLeast(
      `token pool hit rate in the first 2 s after ${result.idleS} s idle >= 90 %`,
      hitRate,
      0.9,
      `${(hitRate * 100).toFixed(1)} % (${hits} hits, ${misses} misses, ${checkouts} checkouts; ${pooledAtStart} tokens held when it began)`,
    ),
  );
  const { minimal, prefetch } = result.rss;
  const rssRatio = prefetch.peak / Math.max(1, minimal.peak);
  targets.push({
    name: 'RSS under load <= 1.3 x minimal BFF',
    measured: `${mb(prefetch.peak)} vs ${mb(minimal.peak)} = ${rssRatio.toFixed(2)} x`,
    isMet: rssRatio <= 1.3,
    margin: `${mb(Math.abs(prefetch.peak - 1.3 * minimal.peak))} ${rssRatio <= 1.3 ? 'to spare' : 'over'}`,
  });
  if (prefetch.start !== undefined && prefetch.afterIdle !== undefined) {
    const back = prefetch.afterIdle / prefetch.start;
    targets.push({
      name: `RSS ${result.idleS} s after load within 10 % of the start`,
      measured: `start ${mb(prefetch.start)}, peak ${mb(prefetch.peak)}, after ${result.idleS} s ${mb(prefetch.afterIdle)} = ${back.toFixed(2)} x start (minimal BFF: ${mb(minimal.start)} → ${mb(minimal.afterIdle)})`,
      isMet: back <= 1.1,
      margin: `${mb(Math.abs(prefetch.afterIdle - 1.1 * prefetch.start))} ${back <= 1.1 ? 'to spare' : 'over'}`,
    });
  }
  return targets;
}
