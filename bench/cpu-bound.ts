import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BuiltEntries } from './build.js';
import { autocannonLoad, type Sample } from './drivers.js';
import { measure } from './measure.js';
import { checkoutTarget, createCheckouts, metricValue, minimalEnv, serviceEnv, STATUS_IDS, statusTarget, type Peer } from './peers.js';
import { fakeCounts, rssOf, setFakeLatency, startBff, startFakeFlinks, type Child, type FakeCounts } from './processes.js';
import type { Kind } from './report.js';

/*
 * The CPU-bound scenario: the service against the minimal BFF (bench/minimal-bff.ts), both
 * compiled and started with plain node and the same heap cap, against one fake Flinks at 0 and
 * 5 ms per call, 50 connections. The peers take turns in rounds (the order rotates every round),
 * so a neighbour's burst of CPU on this shared machine hits all of them alike; every checkout round
 * runs on freshly started, warmed-up processes.
 */

export interface CpuSettings {
  latencies: readonly number[];
  connections: number;
  durationS: number;
  rounds: number;
  warmupS: number;
  /** Pause after the last load before RSS is read again and the token pool is tested cold. */
  idleS: number;
  /** The window after the pause in which the token pool's hit rate is measured. */
  hitWindowS: number;
  nodeArgs: readonly string[];
}

export interface PeerRun {
  peer: Peer;
  kind: Kind;
  latencyMs: number;
  round: number;
  sample: Sample;
  rssBytes?: number;
  cpuMsPerRequest?: number;
  coresUsed: number;
}

export interface CpuResult {
  runs: PeerRun[];
  /** RSS of each peer: idle after start-up (first block), highest under load, and after the pause (last block). */
  rss: Record<'minimal' | 'prefetch', { start?: number; peak: number; afterIdle?: number }>;
  idleS: number;
  /** What the fake saw from the prefetching service over the whole scenario. */
  prefetchTokens: FakeCounts;
  directTokens: FakeCounts;
  /** Token pool takes in the first `hitWindowS` after the pause, and tokens held when it began. */
  afterIdle: { hits: number; misses: number; pooledAtStart: number; checkouts: number };
  loadAverages: string[];
}

const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');

/** `items` starting at `by`: each round puts a different peer first. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  return items.map((_, i) => items[(i + by) % items.length] as T);
}

export async function runCpuBound(entries: BuiltEntries, settings: CpuSettings, log: (line: string) => void): Promise<CpuResult> {
  const runs: PeerRun[] = [];
  const loadAverages: string[] = [];
  const rss: CpuResult['rss'] = { minimal: { peak: 0 }, prefetch: { peak: 0 } };
  const fake = await startFakeFlinks(settings.latencies[0] ?? 0);
  const nodeArgs = settings.nodeArgs;
  let peers: Record<Peer, Child> | undefined;
  const stopPeers = async () => {
    if (peers) await Promise.all(Object.values(peers).map((child) => child.stop()));
    peers = undefined;
  };
  try {
    /**
     * Fresh processes, warmed up at this latency. Without Redis the service keeps every keyed
     * checkout's answer for 24 h and refuses new keys once its in-memory store is full (about
     * 23,600 checkouts at MAX_HEAP_USED_MB=144), rather than forget one: so each checkout round
     * starts on empty processes, never on a store the rounds before it filled.
     */
    const startPeers = async (latencyMs: number): Promise<Record<Peer, Child>> => {
      await stopPeers();
      const started: Record<Peer, Child> = {
        minimal: await startBff(entries.minimal, minimalEnv(fake.url), { nodeArgs }),
        prefetch: await startBff(entries.service, serviceEnv(fake.url, 'prefetch', { STATUS_CACHE_MS: '0' }), { nodeArgs, quiet: true }),
        direct: await startBff(entries.service, serviceEnv(fake.url, 'direct', { STATUS_CACHE_MS: '0', TOKEN_PREFETCH: 'false' }), { nodeArgs, quiet: true }),
      };
      peers = started;
      await sleep(1000);
      if (rss.minimal.start === undefined) {
        rss.minimal.start = rssOf(started.minimal.process.pid);
        rss.prefetch.start = rssOf(started.prefetch.process.pid);
      }
      await setFakeLatency(fake.url, latencyMs);
      log(`  warming up at ${latencyMs} ms (load average ${load()})`);
      for (const peer of ['minimal', 'prefetch', 'direct'] as const) {
        await autocannonLoad(checkoutTarget(started[peer]))(settings.connections, settings.warmupS);
      }
      return started;
    };

    for (const latencyMs of settings.latencies) {
      loadAverages.push(`${latencyMs} ms: ${load()}`);
      const statusIds: Partial<Record<Peer, string[]>> = {};
      const once = async (current: Record<Peer, Child>, peer: Peer, kind: Kind, round: number): Promise<void> => {
        log(`  ${kind}, ${peer}, ${latencyMs} ms, round ${round + 1}`);
        const target = kind === 'checkout' ? checkoutTarget(current[peer]) : statusTarget(current[peer], statusIds[peer] ?? []);
        const pids = [fake, ...Object.values(current)].map((child) => child.process.pid);
        const run = { connections: settings.connections, warmupS: 0, durationS: settings.durationS };
        const measured = await measure(autocannonLoad(target), run, pids, current[peer]);
        runs.push({ peer, kind, latencyMs, round, ...measured });
        if (peer !== 'direct') rss[peer].peak = Math.max(rss[peer].peak, measured.rssBytes ?? 0);
      };

      for (let round = 0; round < settings.rounds; round++) {
        const current = await startPeers(latencyMs);
        for (const peer of rotate(['minimal', 'prefetch', 'direct'] as const, round)) await once(current, peer, 'checkout', round);
      }
      // Status reads on processes of their own, reading checkouts made for them.
      const current = await startPeers(latencyMs);
      await setFakeLatency(fake.url, 0);
      for (const peer of ['minimal', 'prefetch'] as const) statusIds[peer] = await createCheckouts(current[peer], STATUS_IDS);
      await setFakeLatency(fake.url, latencyMs);
      for (const peer of ['minimal', 'prefetch'] as const) {
        await autocannonLoad(statusTarget(current[peer], statusIds[peer] ?? []))(settings.connections, 1);
      }
      for (let round = 0; round < settings.rounds; round++) {
        for (const peer of rotate(['minimal', 'prefetch'] as const, round)) await once(current, peer, 'status', round);
      }
    }
    loadAverages.push(`end: ${load()}`);
    const last = peers;
    if (!last) throw new Error('no latency to measure');

    log(`  idle ${settings.idleS} s, then RSS again and ${settings.hitWindowS} s of checkouts on a pool that saw no demand`);
    await sleep(settings.idleS * 1000);
    rss.minimal.afterIdle = rssOf(last.minimal.process.pid);
    rss.prefetch.afterIdle = rssOf(last.prefetch.process.pid);
    const hitsBefore = await metricValue(last.prefetch, 'flinks_token_pool_hits_total');
    const missesBefore = await metricValue(last.prefetch, 'flinks_token_pool_misses_total');
    const pooledAtStart = await metricValue(last.prefetch, 'flinks_token_pool_size');
    const burst = await autocannonLoad(checkoutTarget(last.prefetch))(settings.connections, settings.hitWindowS);
    const afterIdle = {
      hits: (await metricValue(last.prefetch, 'flinks_token_pool_hits_total')) - hitsBefore,
      misses: (await metricValue(last.prefetch, 'flinks_token_pool_misses_total')) - missesBefore,
      pooledAtStart,
      checkouts: burst.durationsMs.length,
    };
    // Tokens the pool still holds now have not been used either; they count as unused.
    const prefetchTokens = await fakeCounts(fake.url, 'prefetch');
    const directTokens = await fakeCounts(fake.url, 'direct');
    return { runs, rss, idleS: settings.idleS, prefetchTokens, directTokens, afterIdle, loadAverages };
  } finally {
    await stopPeers();
    await fake.stop();
  }
}
