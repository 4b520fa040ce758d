import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildServiceAt } from './build.js';
import { autocannonLoad } from './drivers.js';
import { measure } from './measure.js';
import { checkoutTarget, createCheckouts, serviceEnv, STATUS_IDS, statusTarget } from './peers.js';
import { startBff, startFakeFlinks, type Child } from './processes.js';
import { commandsProcessed, redisIfReachable, removeKeysAndDisconnect } from './redis.js';
import { mean, ratioRange, statsOf, type Kind } from './report.js';

/*
 * The A/B of one change (BENCH_PARTS=compare, BENCH_COMPARE_REF=<commit>): this tree's service
 * against the same service at an earlier commit, both compiled, started with the deployment
 * settings (prefetch on, status reads uncached) and driven CPU-bound (fake Flinks at 0 ms, 50
 * connections), taking turns in rounds whose order alternates, so a neighbour's burst of CPU on
 * this shared machine weighs on both. Both authorize as 'prefetch': the fake keeps no per-user
 * state that would tell them apart. With `redisUrl` (BENCH_COMPARE_REDIS=1) both run with REDIS_URL,
 * as deployed, each under its own key prefix, removed afterwards.
 */

export interface CompareSettings {
  ref: string;
  connections: number;
  durationS: number;
  rounds: number;
  warmupS: number;
  nodeArgs: readonly string[];
  /** Both peers keep their state in this Redis; absent: the in-memory store. */
  redisUrl?: string;
}

interface Turn {
  rps: number;
  cpuMsPerRequest?: number;
  /** Commands Redis processed during the turn per request (the other peer idles meanwhile). */
  redisCommandsPerRequest?: number;
}

export async function runCompare(service: string, settings: CompareSettings, log: (line: string) => void): Promise<string> {
  const before = await buildServiceAt(settings.ref);
  const redis = settings.redisUrl === undefined ? undefined : await redisIfReachable(settings.redisUrl);
  if (settings.redisUrl !== undefined && !redis) throw new Error(`BENCH_COMPARE_REDIS: no Redis answered at ${settings.redisUrl}`);
  const prefix = `bench-compare-${randomUUID().slice(0, 8)}:`;
  const fake = await startFakeFlinks(0);
  let started = 0;
  const envOf = (peer: 'now' | 'before') =>
    serviceEnv(fake.url, 'prefetch', {
      STATUS_CACHE_MS: '0',
      ...(settings.redisUrl ? { REDIS_URL: settings.redisUrl, REDIS_KEY_PREFIX: `${prefix}${started}:${peer}:` } : {}),
    });
  const startBoth = async (): Promise<Record<'now' | 'before', Child>> => {
    started += 1;
    return {
      now: await startBff(service, envOf('now'), { nodeArgs: settings.nodeArgs, quiet: true }),
      before: await startBff(before.service, envOf('before'), { nodeArgs: settings.nodeArgs, quiet: true }),
    };
  };
  let peers = await startBoth();
  const turns: Record<`${'now' | 'before'}:${Kind}`, Turn[]> = { 'now:checkout': [], 'before:checkout': [], 'now:status': [], 'before:status': [] };
  try {
    let pids = [fake, peers.now, peers.before].map((child) => child.process.pid);
    await sleep(1000);
    const ids = { now: await createCheckouts(peers.now, STATUS_IDS), before: await createCheckouts(peers.before, STATUS_IDS) };
    const targetOf = (peer: 'now' | 'before', kind: Kind) => (kind === 'checkout' ? checkoutTarget(peers[peer]) : statusTarget(peers[peer], ids[peer]));
    const warmUp = async () => {
      for (const peer of ['now', 'before'] as const) await autocannonLoad(targetOf(peer, 'checkout'))(settings.connections, settings.warmupS);
    };
    await warmUp();
    // Status reads first, on the processes that made their checkouts. Then every checkout round on
    // fresh processes: without Redis the service keeps every keyed checkout's answer for 24 h and
    // refuses new keys once its in-memory store is full, rather than forget one.
    for (const kind of ['status', 'checkout'] as const) {
      for (let round = 0; round < settings.rounds; round++) {
        if (kind === 'checkout') {
          await Promise.all([peers.now.stop(), peers.before.stop()]);
          peers = await startBoth();
          pids = [fake, peers.now, peers.before].map((child) => child.process.pid);
          await sleep(1000);
          await warmUp();
        }
        for (const peer of round % 2 === 0 ? (['now', 'before'] as const) : (['before', 'now'] as const)) {
          log(`  ${kind}, ${peer === 'now' ? 'this tree' : before.commit}, round ${round + 1}`);
          const run = { connections: settings.connections, warmupS: 0, durationS: settings.durationS };
          const commandsBefore = redis ? await commandsProcessed(redis) : 0;
          const { sample, cpuMsPerRequest } = await measure(autocannonLoad(targetOf(peer, kind)), run, pids, peers[peer]);
          const redisCommandsPerRequest = redis ? ((await commandsProcessed(redis)) - commandsBefore) / Math.max(1, sample.durationsMs.length) : undefined;
          turns[`${peer}:${kind}`].push({
            rps: statsOf(sample).rps,
            ...(cpuMsPerRequest === undefined ? {} : { cpuMsPerRequest }),
            ...(redisCommandsPerRequest === undefined ? {} : { redisCommandsPerRequest }),
          });
        }
      }
    }
  } finally {
    await Promise.all([peers.now.stop(), peers.before.stop(), fake.stop()]);
    if (redis) await removeKeysAndDisconnect(redis, prefix);
  }

  /** The mean of an optional per-turn figure over the turns that have it. */
  const meanOf = (list: Turn[], figure: 'cpuMsPerRequest' | 'redisCommandsPerRequest') =>
    mean(list.flatMap((turn) => (turn[figure] === undefined ? [] : [turn[figure]])));
  const lines = [
    `A/B against ${before.commit} (${settings.ref}), CPU-bound (0 ms, ${settings.connections} connections, ${settings.rounds} rounds of ${settings.durationS} s), ` +
      `${settings.redisUrl ? `both with REDIS_URL=${settings.redisUrl}` : 'both with the in-memory store'}:`,
    '',
    `| scenario | req/s, ${before.commit} | req/s, this tree | ratio (pooled) | ratio, per round | CPU ms/req, ${before.commit} | CPU ms/req, this tree |` +
      (redis ? ` Redis commands/req, ${before.commit} | Redis commands/req, this tree |` : ''),
    `|---|--:|--:|--:|--:|--:|--:|${redis ? '--:|--:|' : ''}`,
  ];
  for (const kind of ['checkout', 'status'] as const) {
    const now = turns[`now:${kind}`];
    const then = turns[`before:${kind}`];
    const cpu = (list: Turn[]) => meanOf(list, 'cpuMsPerRequest').toFixed(3);
    const commands = (list: Turn[]) => meanOf(list, 'redisCommandsPerRequest').toFixed(1);
    const [rpsNow, rpsThen] = [now.map((t) => t.rps), then.map((t) => t.rps)];
    lines.push(
      `| ${kind === 'checkout' ? 'POST /checkout' : 'GET status (uncached)'} | ${mean(rpsThen).toFixed(0)} | ${mean(rpsNow).toFixed(0)} | ` +
        `${(mean(rpsNow) / mean(rpsThen)).toFixed(2)} | ${ratioRange(rpsNow, rpsThen)} | ${cpu(then)} | ${cpu(now)} |` +
        (redis ? ` ${commands(then)} | ${commands(now)} |` : ''),
    );
  }
  return lines.join('\n');
}
