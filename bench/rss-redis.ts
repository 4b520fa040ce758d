import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BuiltEntries } from './build.js';
import { autocannonLoad } from './drivers.js';
import { checkoutTarget, minimalEnv, serviceEnv } from './peers.js';
import { rssOf, startBff, startFakeFlinks, type Child } from './processes.js';
import { redisIfReachable, removeKeysAndDisconnect } from './redis.js';
import { mb, mean, ratioRange, type Target } from './report.js';

/*
 * RSS as deployed: with REDIS_URL (the manifests set it) idempotency keys and the checkouts'
 * outcome records live in Redis, so the service's memory is its own working set and not the
 * history of every checkout it served. The service and the minimal BFF take the same checkout
 * load one after the other (0 ms, 50 connections), each in a fresh process, for a few rounds: the
 * highest RSS of one 10 s load moves by ±10 % from run to run, so the ratio is pooled over the
 * rounds and printed with its per-round range. The first round also rests after the load: RSS at
 * start, highest under load, and after the rest. Skipped when no Redis answers at REDIS_URL
 * (default redis://127.0.0.1:6379).
 */

export interface RssSettings {
  loadS: number;
  idleS: number;
  connections: number;
  /** Rounds of one fresh process each (service, then minimal BFF); only the first one rests. */
  rounds: number;
  nodeArgs: readonly string[];
}

interface Observed {
  start: number;
  peak: number;
  /** RSS after the rest; absent for rounds that do not rest. */
  after?: number;
  checkouts: number;
  errors: number;
}

async function observe(bff: Child, settings: RssSettings, restS: number): Promise<Observed> {
  const pid = bff.process.pid;
  await sleep(1000);
  const start = rssOf(pid) ?? 0;
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(pid) ?? 0);
  }, 250);
  const sample = await autocannonLoad(checkoutTarget(bff))(settings.connections, settings.loadS);
  clearInterval(sampler);
  peak = Math.max(peak, rssOf(pid) ?? 0);
  const observed = { start, peak, checkouts: sample.durationsMs.length, errors: sample.errors };
  if (restS === 0) return observed;
  await sleep(restS * 1000);
  return { ...observed, after: rssOf(pid) ?? 0 };
}

export async function runRssWithRedis(
  entries: BuiltEntries,
  settings: RssSettings,
  log: (line: string) => void,
): Promise<{ section: string; targets: Target[] }> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = await redisIfReachable(url);
  if (!redis) return { section: `RSS with Redis: skipped, no Redis answered at ${url}.`, targets: [] };
  const prefix = `bench-rss-${randomUUID().slice(0, 8)}:`;
  const fake = await startFakeFlinks(0);
  try {
    const ours: Observed[] = [];
    const floor: Observed[] = [];
    for (let round = 1; round <= settings.rounds; round++) {
      const restS = round === 1 ? settings.idleS : 0;
      const roundPrefix = `${prefix}${round}:`;
      log(
        `  round ${round}: the service with REDIS_URL=${url} (prefix ${roundPrefix}), ${settings.loadS} s of checkouts${restS ? `, then ${restS} s idle` : ''}; then the minimal BFF, the same way`,
      );
      const service = await startBff(entries.service, serviceEnv(fake.url, 'prefetch', { REDIS_URL: url, REDIS_KEY_PREFIX: roundPrefix }), {
        nodeArgs: settings.nodeArgs,
        quiet: true,
      });
      ours.push(await observe(service, settings, restS).finally(() => service.stop()));
      const minimal = await startBff(entries.minimal, minimalEnv(fake.url), { nodeArgs: settings.nodeArgs });
      floor.push(await observe(minimal, settings, restS).finally(() => minimal.stop()));
    }
    const ourPeaks = ours.map((o) => o.peak);
    const floorPeaks = floor.map((o) => o.peak);
    const ourPeak = mean(ourPeaks);
    const floorPeak = mean(floorPeaks);
    const ratio = ourPeak / Math.max(1, floorPeak);
    const range = ratioRange(ourPeaks, floorPeaks);
    const rested = ours[0] as Observed;
    const back = (rested.after ?? 0) / Math.max(1, rested.start);
    const line = (name: string, round: number, r: Observed) =>
      `| ${name} | ${round} | ${r.checkouts} (${r.errors} errors) | ${mb(r.start)} | ${mb(r.peak)} | ${mb(r.after)} |`;
    const section = [
      `RSS as deployed, with Redis (${url}; ${settings.rounds} rounds of ${settings.loadS} s of checkouts at ${settings.connections} connections, 0 ms, each in a fresh process; round 1 then ${settings.idleS} s idle):`,
      '',
      `| process | round | checkouts | RSS at start | highest under load | ${settings.idleS} s after |`,
      '|---|--:|--:|--:|--:|--:|',
      ...ours.map((r, i) => line('service (REDIS_URL set)', i + 1, r)),
      ...floor.map((r, i) => line('minimal BFF', i + 1, r)),
      '',
      `Highest RSS under load, mean of the rounds: service ${mb(ourPeak)}, minimal BFF ${mb(floorPeak)} = ${ratio.toFixed(2)} × (per round ${range}).`,
    ].join('\n');
    const targets: Target[] = [
      {
        name: 'RSS under load <= 1.3 x minimal BFF (service with Redis, as deployed)',
        measured: `${mb(ourPeak)} vs ${mb(floorPeak)} = ${ratio.toFixed(2)} x (mean of ${settings.rounds} rounds; per round ${range})`,
        isMet: ratio <= 1.3,
        margin: `${mb(Math.abs(ourPeak - 1.3 * floorPeak))} ${ratio <= 1.3 ? 'to spare' : 'over'}`,
      },
      {
        name: `RSS ${settings.idleS} s after load within 10 % of the start (service with Redis)`,
        measured: `${mb(rested.start)} → ${mb(rested.after)} = ${back.toFixed(2)} x`,
        isMet: back <= 1.1,
        margin: `${mb(Math.abs((rested.after ?? 0) - 1.1 * rested.start))} ${back <= 1.1 ? 'to spare' : 'over'}`,
      },
    ];
    return { section, targets };
  } finally {
    await fake.stop();
    await removeKeysAndDisconnect(redis, prefix);
  }
}
