import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BuiltEntries } from './build.js';
import { rotate } from './cpu-bound.js';
import { autocannonLoad } from './drivers.js';
import { measure } from './measure.js';
import { checkoutTarget, createCheckouts, minimalEnv, serviceEnv, STATUS_IDS, statusTarget } from './peers.js';
import { setFakeLatency, startBff, startFakeFlinks, type Child } from './processes.js';
import { redisIfReachable, removeKeysAndDisconnect } from './redis.js';
import { atLeast, mean, ratioRange, statsOf, type Kind, type Target } from './report.js';

/*
 * What the chosen stack costs by itself (BENCH_PARTS=stack): the minimal BFF on node:http
 * (minimal-bff.ts), the same BFF on Fastify with zod schemas (minimal-fastify.ts) and the service,
 * CPU-bound as in the `cpu` part, taking turns in rotating rounds. The Fastify floor's share of the
 * node:http floor is the most any service on Fastify and zod could reach; the service's share of the
 * Fastify floor is what its own features cost on top. When a Redis answers at `redisUrl`, the service
 * also takes its turns a second time with REDIS_URL set, as the deployment manifests run it: what the
 * shared store costs on top of the in-memory one that the `cpu` part uses.
 */

export interface StackSettings {
  latencies: readonly number[];
  connections: number;
  durationS: number;
  rounds: number;
  warmupS: number;
  nodeArgs: readonly string[];
  /** Where the service's Redis twin finds Redis; the twin is left out when none answers there. */
  redisUrl: string;
}

type StackPeer = 'node' | 'fastify' | 'service' | 'redis';

/** Set only when a Redis answered: the URL and this part's key prefix. */
interface RedisPeer {
  url: string;
  prefix: string;
}

interface Turn {
  rps: number;
  cpuMsPerRequest?: number;
}

type Turns = Record<`${StackPeer}:${Kind}:${number}`, Turn[]>;

async function startPeers(
  entries: BuiltEntries,
  fakeUrl: string,
  nodeArgs: readonly string[],
  redis: RedisPeer | undefined,
): Promise<Partial<Record<StackPeer, Child>>> {
  const uncached = { STATUS_CACHE_MS: '0' };
  return {
    node: await startBff(entries.minimal, minimalEnv(fakeUrl), { nodeArgs }),
    fastify: await startBff(entries.fastify, minimalEnv(fakeUrl, 'fastify'), { nodeArgs }),
    service: await startBff(entries.service, serviceEnv(fakeUrl, 'prefetch', uncached), { nodeArgs, quiet: true }),
    ...(redis && {
      redis: await startBff(entries.service, serviceEnv(fakeUrl, 'prefetch', { ...uncached, REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix }), {
        nodeArgs,
        quiet: true,
      }),
    }),
  };
}

function childOf(peers: Partial<Record<StackPeer, Child>>, peer: StackPeer): Child {
  const child = peers[peer];
  if (!child) throw new Error(`the ${peer} peer was not started`);
  return child;
}

function ratioOf(turns: Turns, over: StackPeer, under: StackPeer, kind: Kind, latencyMs: number): { pooled: number; range: string } {
  const rpsOf = (peer: StackPeer) => (turns[`${peer}:${kind}:${latencyMs}`] ?? []).map((turn) => turn.rps);
  const [a, b] = [rpsOf(over), rpsOf(under)];
  return { pooled: mean(a) / mean(b), range: ratioRange(a, b) };
}

function ratioCell(turns: Turns, over: StackPeer, under: StackPeer, kind: Kind, latencyMs: number): string {
  const { pooled, range } = ratioOf(turns, over, under, kind, latencyMs);
  return `${pooled.toFixed(2)} (${range})`;
}

const scenarioOf = (kind: Kind, latencyMs: number) => `${kind === 'checkout' ? 'POST /checkout' : 'GET status (uncached)'}, ${latencyMs} ms`;

/** `withRedis`: whether the Redis twin took its turns. */
function report(turns: Turns, settings: StackSettings, peers: readonly StackPeer[], withRedis: boolean): string {
  const cell = (peer: StackPeer, kind: Kind, latencyMs: number) => {
    const list = turns[`${peer}:${kind}:${latencyMs}`] ?? [];
    const cpu = mean(list.flatMap((t) => (t.cpuMsPerRequest === undefined ? [] : [t.cpuMsPerRequest])));
    return `${mean(list.map((t) => t.rps)).toFixed(0)} (${cpu.toFixed(3)} ms)`;
  };
  const lines = [
    `The stack's own cost, CPU-bound (${settings.connections} connections, ${settings.rounds} rounds of ${settings.durationS} s; req/s and CPU per request, ratios pooled with the per-round range):`,
    '',
    `| scenario | node:http floor | Fastify + zod floor | service | ${withRedis ? 'service with Redis | ' : ''}Fastify ÷ node:http | service ÷ Fastify | service ÷ node:http |${withRedis ? ' service with Redis ÷ node:http |' : ''}`,
    `|---|--:|--:|--:|--:|--:|--:|${withRedis ? '--:|--:|' : ''}`,
  ];
  for (const latencyMs of settings.latencies) {
    for (const kind of ['checkout', 'status'] as const) {
      const cells = [
        scenarioOf(kind, latencyMs),
        ...peers.map((peer) => cell(peer, kind, latencyMs)),
        ratioCell(turns, 'fastify', 'node', kind, latencyMs),
        ratioCell(turns, 'service', 'fastify', kind, latencyMs),
        ratioCell(turns, 'service', 'node', kind, latencyMs),
        ...(withRedis ? [ratioCell(turns, 'redis', 'node', kind, latencyMs)] : []),
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  lines.push(
    '',
    withRedis
      ? `"service with Redis": the same service with REDIS_URL=${settings.redisUrl}, as deployed (idempotency keys, records, rate limits and the reconcile queue in Redis, on the same machine).`
      : `"service with Redis" left out: no Redis answered at ${settings.redisUrl}.`,
  );
  return lines.join('\n');
}

/** The CPU-bound targets again, for the service as deployed: with Redis. */
function redisTargets(turns: Turns, settings: StackSettings): Target[] {
  return settings.latencies.flatMap((latencyMs) =>
    (['checkout', 'status'] as const).map((kind) => {
      const { pooled, range } = ratioOf(turns, 'redis', 'node', kind, latencyMs);
      const what = kind === 'checkout' ? 'checkout req/s' : 'status reads/s (uncached)';
      return atLeast(
        `${what} at ${latencyMs} ms >= 0.9 x minimal BFF, service with Redis as deployed (stack part)`,
        pooled,
        0.9,
        `${pooled.toFixed(2)} x (rounds ${range})`,
      );
    }),
  );
}

export async function runStack(entries: BuiltEntries, settings: StackSettings, log: (line: string) => void): Promise<{ section: string; targets: Target[] }> {
  const turns: Turns = {};
  const connection = await redisIfReachable(settings.redisUrl);
  const prefix = `bench-stack-${randomUUID().slice(0, 8)}:`;
  const PEERS: readonly StackPeer[] = connection ? ['node', 'fastify', 'service', 'redis'] : ['node', 'fastify', 'service'];
  const fake = await startFakeFlinks(0);
  try {
    let started = 0;
    /**
     * Runs `rounds` of `kind` on fresh, warmed-up processes (and Redis keys). Without Redis the
     * service keeps every keyed checkout's answer for 24 h and refuses new keys once its in-memory
     * store is full, rather than forget one, so every checkout round starts on empty processes, as
     * in the `cpu` part; status reads read checkouts made for them first.
     */
    const onFreshPeers = async (latencyMs: number, kind: Kind, rounds: readonly number[]) => {
      const redis = connection && { url: settings.redisUrl, prefix: `${prefix}${latencyMs}:${started++}:` };
      const peers = await startPeers(entries, fake.url, settings.nodeArgs, redis);
      try {
        const pids = [fake, ...Object.values(peers)].map((child) => child.process.pid);
        await sleep(1000);
        await setFakeLatency(fake.url, 0);
        const ids =
          kind === 'status'
            ? Object.fromEntries(await Promise.all(PEERS.map(async (peer) => [peer, await createCheckouts(childOf(peers, peer), STATUS_IDS)] as const)))
            : {};
        await setFakeLatency(fake.url, latencyMs);
        const targetOf = (peer: StackPeer, targetKind: Kind) =>
          targetKind === 'checkout' ? checkoutTarget(childOf(peers, peer)) : statusTarget(childOf(peers, peer), ids[peer] ?? []);
        for (const peer of PEERS) await autocannonLoad(targetOf(peer, 'checkout'))(settings.connections, settings.warmupS);
        for (const round of rounds) {
          for (const peer of rotate(PEERS, round)) {
            log(`  ${kind}, ${peer}, ${latencyMs} ms, round ${round + 1}`);
            const run = { connections: settings.connections, warmupS: 0, durationS: settings.durationS };
            const { sample, cpuMsPerRequest } = await measure(autocannonLoad(targetOf(peer, kind)), run, pids, childOf(peers, peer));
            (turns[`${peer}:${kind}:${latencyMs}`] ??= []).push({ rps: statsOf(sample).rps, ...(cpuMsPerRequest === undefined ? {} : { cpuMsPerRequest }) });
          }
        }
      } finally {
        await Promise.all(Object.values(peers).map((child) => child.stop()));
      }
    };
    const allRounds = Array.from({ length: settings.rounds }, (_, round) => round);
    for (const latencyMs of settings.latencies) {
      await onFreshPeers(latencyMs, 'status', allRounds);
      for (const round of allRounds) await onFreshPeers(latencyMs, 'checkout', [round]);
    }
  } finally {
    await fake.stop();
    if (connection) await removeKeysAndDisconnect(connection, prefix);
  }
  const withRedis = connection !== undefined;
  return { section: report(turns, settings, PEERS, withRedis), targets: withRedis ? redisTargets(turns, settings) : [] };
}
