import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BuiltEntries } from './build.js';
import { autocannonLoad, type HttpTarget } from './drivers.js';
import { checkoutTarget, createCheckouts, minimalEnv, serviceEnv, STATUS_IDS, statusTarget } from './peers.js';
import { keepNewestPerfMap } from './perf-map.js';
import { summarizePerfScript } from './perf-summary.js';
import { startBff, startFakeFlinks, type Child } from './processes.js';
import { profileTable, summarizeCpuProfile, type ProfileSummary } from './profile-summary.js';

/*
 * Where one request's CPU goes: the service (deployment settings, prefetch on) takes checkouts,
 * then uncached status reads, CPU-bound (fake Flinks at 0 ms, 50 connections) while a profiler
 * watches it; only the measured window counts. With Linux `perf` (root, or perf_event_paranoid <= 1)
 * the samples are on-CPU time of every thread; without it, V8's own profiler (--cpu-prof), which on
 * a busy shared machine also counts time spent waiting for a core. The minimal BFF is profiled the
 * same way, bucket by bucket.
 */

const run = promisify(execFile);
const PROFILE_DIR = new URL('./profiles/', import.meta.url).pathname;
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

export interface ProfileSettings {
  durationS: number;
  warmupS: number;
  connections: number;
  nodeArgs: readonly string[];
}

async function hasPerf(): Promise<boolean> {
  try {
    await run('perf', ['record', '-o', '/dev/null', '--', 'true']);
    return true;
  } catch {
    return false;
  }
}

interface Profiled {
  summary: ProfileSummary;
  requests: number;
  /** Answers that were no 2xx, or no answer: a profile with any is of refusals too, and says so. */
  errors: number;
}

/** What is profiled: checkouts, or status reads of checkouts made just before the profile. */
interface Workload {
  kind: 'checkout' | 'status read';
  /**
   * Fresh processes the profiled time is split between. The in-memory store keeps every keyed
   * checkout and refuses new keys when full (about 23,600 at the deployment heap): a warm-up and
   * 10 s of checkouts on one process would run into it, and profile refusals.
   */
  processes: number;
  /** The request, as the table's heading names it. */
  route: string;
  /** The service's settings for it (status reads go uncached, like the floor's). */
  serviceOverrides: Record<string, string>;
  targetOf(bff: Child): Promise<HttpTarget>;
}

const WORKLOADS: readonly Workload[] = [
  { kind: 'checkout', processes: 2, route: 'POST /checkout', serviceOverrides: {}, targetOf: (bff) => Promise.resolve(checkoutTarget(bff)) },
  {
    kind: 'status read',
    processes: 1,
    route: 'GET /checkout/{requestId} (uncached)',
    serviceOverrides: { STATUS_CACHE_MS: '0' },
    targetOf: async (bff) => statusTarget(bff, await createCheckouts(bff, STATUS_IDS)),
  },
];

/** Two profiles of one workload as one: their CPU per bucket, requests and errors added up. */
function mergeProfiled(a: Profiled, b: Profiled): Profiled {
  const micros = new Map(a.summary.micros);
  for (const [bucket, us] of b.summary.micros) micros.set(bucket, (micros.get(bucket) ?? 0) + us);
  return {
    summary: { micros, totalMicros: a.summary.totalMicros + b.summary.totalMicros },
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
  };
}

async function withPerf(entry: string, env: Record<string, string>, workload: Workload, settings: ProfileSettings, quiet: boolean): Promise<Profiled> {
  const nodeArgs = [...settings.nodeArgs, '--perf-basic-prof', '--interpreted-frames-native-stack'];
  const bff: Child = await startBff(entry, env, { nodeArgs, quiet });
  const data = join(tmpdir(), `flinks-bench-${bff.process.pid ?? 0}.perf`);
  try {
    const load = autocannonLoad(await workload.targetOf(bff));
    await load(settings.connections, settings.warmupS);
    const args = ['record', '-F', '999', '-g', '-o', data, '-p', String(bff.process.pid), '--', 'sleep', String(settings.durationS)];
    const recorder = spawn('perf', args, { stdio: 'ignore' });
    const sample = await load(settings.connections, settings.durationS);
    await once(recorder, 'exit');
    keepNewestPerfMap(bff.process.pid ?? 0);
    const { stdout } = await run('perf', ['script', '-i', data], { maxBuffer: 2 ** 30 });
    return { summary: summarizePerfScript(stdout), requests: sample.durationsMs.length, errors: sample.errors };
  } finally {
    await bff.stop();
    if (process.env.BENCH_PERF_KEEP) run('cp', [data, `${process.env.BENCH_PERF_KEEP}.${bff.process.pid ?? 0}`]).catch(() => undefined);
    else rmSync(data, { force: true });
    // --perf-basic-prof leaves the symbol map of the process behind.
    if (!process.env.BENCH_PERF_KEEP) rmSync(`/tmp/perf-${bff.process.pid ?? 0}.map`, { force: true });
  }
}

async function withCpuProf(
  entry: string,
  env: Record<string, string>,
  workload: Workload,
  name: string,
  settings: ProfileSettings,
  quiet: boolean,
): Promise<Profiled> {
  const dir = join(PROFILE_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const nodeArgs = [...settings.nodeArgs, '--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250'];
  const bff: Child = await startBff(entry, env, { nodeArgs, quiet });
  let window;
  try {
    const load = autocannonLoad(await workload.targetOf(bff));
    await load(settings.connections, settings.warmupS);
    const fromUs = monotonicUs();
    const sample = await load(settings.connections, settings.durationS);
    window = { fromUs, toUs: monotonicUs(), requests: sample.durationsMs.length, errors: sample.errors };
  } finally {
    await bff.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written to ${dir}`);
  return { summary: summarizeCpuProfile(join(dir, file), window.fromUs, window.toUs), requests: window.requests, errors: window.errors };
}

export async function runProfile(entries: BuiltEntries, settings: ProfileSettings, log: (line: string) => void): Promise<string> {
  const fake = await startFakeFlinks(0);
  try {
    const perf = await hasPerf();
    const profiler = perf ? 'perf' : '--cpu-prof';
    const sections: string[] = [];
    for (const workload of WORKLOADS) {
      const name = workload.kind.replace(' ', '-');
      const perProcess = { ...settings, durationS: settings.durationS / workload.processes };
      const profileOnce = (entry: string, env: Record<string, string>, peer: string, quiet: boolean) =>
        perf ? withPerf(entry, env, workload, perProcess, quiet) : withCpuProf(entry, env, workload, `${name}-${peer}`, perProcess, quiet);
      const profile = async (entry: string, env: Record<string, string>, peer: string, quiet: boolean) => {
        let profiled = await profileOnce(entry, env, peer, quiet);
        for (let i = 1; i < workload.processes; i += 1) profiled = mergeProfiled(profiled, await profileOnce(entry, env, `${peer}-${i}`, quiet));
        return profiled;
      };
      log(`  ${workload.kind}s: the service under ${profiler}`);
      const service = await profile(entries.service, serviceEnv(fake.url, 'prefetch', workload.serviceOverrides), 'service', true);
      log(`  ${workload.kind}s: the minimal BFF under ${profiler}`);
      const floor = await profile(entries.minimal, minimalEnv(fake.url), 'minimal', false);
      const rate = (n: number) => (n / settings.durationS).toFixed(0);
      sections.push(
        `Profile of ${workload.route}, CPU-bound (0 ms, ${settings.connections} connections, ${settings.durationS} s` +
          `${workload.processes > 1 ? ` on ${workload.processes} fresh processes, ${perProcess.durationS} s each` : ''}, ` +
          `${perf ? 'perf: on-CPU time of all threads' : `V8 --cpu-prof (profiles in ${PROFILE_DIR})`}; ` +
          `${service.requests} ${workload.kind}s = ${rate(service.requests)}/s while profiled, minimal BFF ${rate(floor.requests)}/s` +
          `${service.errors + floor.errors > 0 ? `; NOT ALL ANSWERED: ${service.errors} errors from the service, ${floor.errors} from the minimal BFF` : ''}):\n\n` +
          profileTable(service.summary, service.requests, workload.kind, { summary: floor.summary, requests: floor.requests }),
      );
    }
    return sections.join('\n\n');
  } finally {
    await fake.stop();
  }
}
