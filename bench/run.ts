import { availableParallelism, loadavg } from 'node:os';
import { buildBff } from './build.js';
import { runCompare } from './compare.js';
import { runCpuBound } from './cpu-bound.js';
import { cpuTable, cpuTargets } from './cpu-report.js';
import { runLatencyBound } from './latency-bound.js';
import { runMemoryUnits } from './memory-units.js';
import { runProfile } from './profile.js';
import { DEPARTURES, DEPLOYED } from './peers.js';
import { stopAllChildren } from './processes.js';
import { table, targetLines, type Target } from './report.js';
import { latencyTargets } from './targets.js';
import { runOutcomes } from './outcomes.js';
import { runRssWithRedis } from './rss-redis.js';
import { runStack } from './stack.js';

/*
 * `npm run bench`: the service against a fake Flinks, side by side with its floors, in one run.
 * It reports ratios measured in that run; it never fails the build. Parts (BENCH_PARTS, all by
 * default): cpu (CPU-bound, against the minimal BFF), stack (the minimal BFF on node:http and on
 * Fastify with zod, and the service: what the stack costs by itself), latency (latency-bound,
 * against the calls themselves), memory (per event stream and idempotency record), rss (RSS with
 * Redis, as deployed), profile (where the CPU of a checkout and of an uncached status read goes),
 * outcomes (reconciliation and merchant webhooks). One more part runs only when asked for: compare
 * (an A/B against the commit in BENCH_COMPARE_REF; with BENCH_COMPARE_REDIS=1 both peers run with
 * REDIS_URL).
 */

const numbers = (text: string) =>
  text
    .split(',')
    .map(Number)
    .filter((n) => n >= 0 && text.trim() !== '');
const env = process.env;
const parts = new Set((env.BENCH_PARTS ?? 'cpu,stack,latency,memory,rss,profile,outcomes').split(',').map((p) => p.trim()));
/** Extra node flags for every BFF process, e.g. "--max-semi-space-size=8" to try V8 settings. */
const nodeArgs = (env.BENCH_BFF_NODE_ARGS ?? '').split(' ').filter(Boolean);
const durationS = Number(env.BENCH_DURATION_S ?? 5);

const cpuSettings = {
  latencies: numbers(env.BENCH_CPU_LATENCIES ?? '0,5'),
  connections: Number(env.BENCH_CPU_CONNECTIONS ?? 50),
  durationS,
  rounds: Number(env.BENCH_ROUNDS ?? 3),
  warmupS: Number(env.BENCH_WARMUP_S ?? 2),
  idleS: Number(env.BENCH_IDLE_S ?? 30),
  hitWindowS: 2,
  nodeArgs,
};

/** The Redis that the service's Redis twins (stack, latency, compare) use; rss and outcomes read REDIS_URL alike. */
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const latencySettings = {
  latencyMs: Number(env.FAKE_LATENCY_MS ?? 10),
  connections: numbers(env.BENCH_CONNECTIONS ?? '10'),
  zeroConnections: numbers(env.BENCH_ZERO_CONNECTIONS ?? ''),
  durationS,
  warmupS: Number(env.BENCH_WARMUP_S ?? 2),
  prefetchWarmupS: Number(env.BENCH_PREFETCH_WARMUP_S ?? 3),
  nodeArgs,
  redisUrl,
};

const log = (line: string) => process.stdout.write(`${line}\n`);
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');

async function main(): Promise<void> {
  const started = performance.now();
  log(`cores: ${availableParallelism()} (shared by the load generator, the fake Flinks and the BFFs), node ${process.version}, load average ${load()}`);
  log(`parts: ${[...parts].join(', ')}; ${durationS} s per measured run`);
  log(
    `service settings (deploy manifests): ${Object.entries(DEPLOYED)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  log(`departures: ${DEPARTURES.join('; ')}`);
  const entries = await buildBff();
  const targets: Target[] = [];
  const sections: string[] = [];

  if (parts.has('cpu')) {
    log('\nCPU-bound: the service against the minimal BFF');
    const result = await runCpuBound(entries, cpuSettings, log);
    sections.push(`CPU-bound (load averages ${result.loadAverages.join(', ')}):\n\n${cpuTable(result, cpuSettings.latencies, cpuSettings.connections)}`);
    targets.push(...cpuTargets(result, cpuSettings.latencies));
  }
  if (parts.has('stack')) {
    log('\nThe stack: the minimal BFF on node:http and on Fastify with zod, and the service');
    const before = load();
    const stack = await runStack(entries, { ...cpuSettings, latencies: numbers(env.BENCH_STACK_LATENCIES ?? '0'), redisUrl }, log);
    sections.push(`${stack.section}\n\n(load average ${before} → ${load()})`);
    targets.push(...stack.targets);
  }
  if (parts.has('latency')) {
    log(`\nLatency-bound: ${latencySettings.latencyMs} ms per call, the service against the calls themselves`);
    const before = load();
    const { rows } = await runLatencyBound(entries, latencySettings, log);
    sections.push(`Latency-bound (load average ${before} → ${load()}):\n\n${table(rows)}`);
    targets.push(...latencyTargets(rows, latencySettings.latencyMs));
  }
  if (parts.has('memory')) {
    log('\nMemory per event stream and per idempotency record');
    sections.push(await runMemoryUnits(entries.service, { streams: 1000, records: 3000, nodeArgs }, log));
  }
  if (parts.has('rss')) {
    log('\nRSS under load with Redis, as deployed');
    const rss = await runRssWithRedis(
      entries,
      { loadS: 10, idleS: cpuSettings.idleS, connections: 50, rounds: Math.max(1, Number(env.BENCH_RSS_ROUNDS ?? 3)), nodeArgs },
      log,
    );
    sections.push(rss.section);
    targets.push(...rss.targets);
  }
  if (parts.has('profile')) {
    log('\nProfile: where the CPU of a checkout and of a status read goes');
    sections.push(await runProfile(entries, { durationS: 10, warmupS: 3, connections: 50, nodeArgs }, log));
  }

  if (parts.has('compare')) {
    const ref = env.BENCH_COMPARE_REF;
    if (ref === undefined || ref === '') throw new Error('BENCH_PARTS=compare needs BENCH_COMPARE_REF (a commit, tag or HEAD~1)');
    log(`\nCompare: this tree against ${ref}`);
    const compareRedis = env.BENCH_COMPARE_REDIS === '1' ? { redisUrl } : {};
    const settings = {
      ref,
      connections: cpuSettings.connections,
      durationS,
      rounds: Number(env.BENCH_ROUNDS ?? 4),
      warmupS: cpuSettings.warmupS,
      nodeArgs,
      ...compareRedis,
    };
    sections.push(await runCompare(entries.service, settings, log));
  }

  if (parts.has('outcomes')) {
    log('\nOutcomes: reconciliation within its upstream budget, merchant webhook delivery');
    const outcomes = await runOutcomes(
      {
        checkouts: Number(env.BENCH_OPEN_CHECKOUTS ?? 10_000),
        budgetPerSecond: Number(env.BENCH_RECONCILE_BUDGET ?? 1000),
        deliveries: Number(env.BENCH_DELIVERIES ?? 2000),
      },
      log,
    );
    sections.push(outcomes.section);
    targets.push(...outcomes.targets);
  }

  log(`\n${sections.join('\n\n')}\n`);
  log(`Targets (load average now ${load()}; the whole run took ${((performance.now() - started) / 1000).toFixed(0)} s):\n${targetLines(targets)}`);
}

main()
  .catch((error: unknown) => {
    // A benchmark that cannot run says why, but never fails a build.
    process.stderr.write(`benchmark could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  })
  .finally(stopAllChildren);
