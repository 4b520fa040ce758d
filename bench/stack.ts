import { setTimeout as sleep } from 'node:timers/promises';
import type { BuiltEntries } from './build.js';
import { rotate } from './cpu-bound.js';
import { autocannonLoad } from './drivers.js';
import { measure } from './measure.js';
import { checkoutTarget, createCheckouts, minimalEnv, serviceEnv, STATUS_IDS, statusTarget } from './peers.js';
import { setFakeLatency, startBff, startFakeFlinks, type Child } from './processes.js';
import { mean, ratioRange, statsOf, type Kind } from './report.js';

/*
 * What the chosen stack costs by itself (BENCH_PARTS=stack): the minimal BFF on node:http
 * (minimal-bff.ts), the same BFF on Fastify with zod schemas (minimal-fastify.ts) and the service,
 * CPU-bound as in the `cpu` part, taking turns in rotating rounds. The Fastify floor's share of the
 * node:http floor is the most any service on Fastify and zod could reach; the service's share of the
 * Fastify floor is what its own features cost on top.
 */

export interface StackSettings {
  latencies: readonly number[];
  connections: number;
  durationS: number;
  rounds: number;
  warmupS: number;
  nodeArgs: readonly string[];
}

const PEERS = ['node', 'fastify', 'service'] as const;
type StackPeer = (typeof PEERS)[number];

interface Turn {
  rps: number;
  cpuMsPerRequest?: number;
}

type Turns = Record<`${StackPeer}:${Kind}:${number}`, Turn[]>;

async function startPeers(entries: BuiltEntries, fakeUrl: string, nodeArgs: readonly string[]): Promise<Record<StackPeer, Child>> {
  return {
    node: await startBff(entries.minimal, minimalEnv(fakeUrl), { nodeArgs }),
    fastify: await startBff(entries.fastify, minimalEnv(fakeUrl, 'fastify'), { nodeArgs }),
    service: await startBff(entries.service, serviceEnv(fakeUrl, 'prefetch', { STATUS_CACHE_MS: '0' }), { nodeArgs, quiet: true }),
  };
}

function ratioCell(turns: Turns, over: StackPeer, under: StackPeer, kind: Kind, latencyMs: number): string {
  const rpsOf = (peer: StackPeer) => (turns[`${peer}:${kind}:${latencyMs}`] ?? []).map((turn) => turn.rps);
  const [a, b] = [rpsOf(over), rpsOf(under)];
  return `${(mean(a) / mean(b)).toFixed(2)} (${ratioRange(a, b)})`;
}

function report(turns: Turns, settings: StackSettings): string {
  const cell = (peer: StackPeer, kind: Kind, latencyMs: number) => {
    const list = turns[`${peer}:${kind}:${latencyMs}`] ?? [];
    const cpu = mean(list.flatMap((t) => (t.cpuMsPerRequest === undefined ? [] : [t.cpuMsPerRequest])));
    return `${mean(list.map((t) => t.rps)).toFixed(0)} (${cpu.toFixed(3)} ms)`;
  };
  const lines = [
    `The stack's own cost, CPU-bound (${settings.connections} connections, ${settings.rounds} rounds of ${settings.durationS} s; req/s and CPU per request, ratios pooled with the per-round range):`,
    '',
    '| scenario | node:http floor | Fastify + zod floor | service | Fastify ÷ node:http | service ÷ Fastify | service ÷ node:http |',
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const latencyMs of settings.latencies) {
    for (const kind of ['checkout', 'status'] as const) {
      const scenario = `${kind === 'checkout' ? 'POST /checkout' : 'GET status (uncached)'}, ${latencyMs} ms`;
      const cells = [
        scenario,
        ...PEERS.map((peer) => cell(peer, kind, latencyMs)),
        ratioCell(turns, 'fastify', 'node', kind, latencyMs),
        ratioCell(turns, 'service', 'fastify', kind, latencyMs),
        ratioCell(turns, 'service', 'node', kind, latencyMs),
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

export async function runStack(entries: BuiltEntries, settings: StackSettings, log: (line: string) => void): Promise<string> {
  const turns: Turns = {};
  const fake = await startFakeFlinks(0);
  try {
    for (const latencyMs of settings.latencies) {
      // Fresh processes for every latency, as in the `cpu` part: the service keeps its checkouts.
      const peers = await startPeers(entries, fake.url, settings.nodeArgs);
      try {
        const pids = [fake, ...Object.values(peers)].map((child) => child.process.pid);
        await sleep(1000);
        await setFakeLatency(fake.url, 0);
        const ids = Object.fromEntries(await Promise.all(PEERS.map(async (peer) => [peer, await createCheckouts(peers[peer], STATUS_IDS)] as const))) as Record<StackPeer, string[]>;
        await setFakeLatency(fake.url, latencyMs);
        const targetOf = (peer: StackPeer, kind: Kind) => (kind === 'checkout' ? checkoutTarget(peers[peer]) : statusTarget(peers[peer], ids[peer]));
        for (const peer of PEERS) await autocannonLoad(targetOf(peer, 'checkout'))(settings.connections, settings.warmupS);
        // Status reads first, on the checkouts just made: the service remembers only as many
        // checkouts as fit its heap, and the checkout rounds create tens of thousands.
        for (const kind of ['status', 'checkout'] as const) {
          for (let round = 0; round < settings.rounds; round++) {
            for (const peer of rotate(PEERS, round)) {
              log(`  ${kind}, ${peer}, ${latencyMs} ms, round ${round + 1}`);
              const run = { connections: settings.connections, warmupS: 0, durationS: settings.durationS };
              const { sample, cpuMsPerRequest } = await measure(autocannonLoad(targetOf(peer, kind)), run, pids, peers[peer]);
              (turns[`${peer}:${kind}:${latencyMs}`] ??= []).push({ rps: statsOf(sample).rps, ...(cpuMsPerRequest === undefined ? {} : { cpuMsPerRequest }) });
            }
          }
        }
      } finally {
        await Promise.all(Object.values(peers).map((child) => child.stop()));
      }
    }
  } finally {
    await fake.stop();
  }
  return report(turns, settings);
}
