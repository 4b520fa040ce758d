import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildBff } from './build.js';
import { autocannonLoad, closedLoop } from './drivers.js';
import { createFloorClient } from './floor.js';
import { measure } from './measure.js';
import { rssOf, setFakeLatency, startBff, startFakeFlinks, type Child } from './processes.js';
import { table, targetLines, type Row } from './report.js';
import { evaluateTargets } from './targets.js';

/*
 * `npm run bench`: the BFF against a fake Flinks with a fixed latency, side by side with the floor
 * (the same upstream calls made directly with undici). It reports; it never fails the build.
 */

const numbers = (text: string) => text.split(',').map(Number).filter((n) => n > 0);
const env = process.env;
const settings = {
  latencyMs: Number(env.FAKE_LATENCY_MS ?? 10),
  durationS: Number(env.BENCH_DURATION_S ?? 5),
  warmupS: Number(env.BENCH_WARMUP_S ?? 1),
  // The token pool sizes itself on the checkouts of the last ~10 s (an average with a 10 s time
  // constant), so a prefetch run needs that long before it shows the steady state.
  prefetchWarmupS: Number(env.BENCH_PREFETCH_WARMUP_S ?? 8),
  connections: numbers(env.BENCH_CONNECTIONS ?? '1,10,50'),
  zeroConnections: numbers(env.BENCH_ZERO_CONNECTIONS ?? '1'),
  idleS: Number(env.BENCH_IDLE_S ?? 5),
  cpuProf: env.BENCH_CPU_PROF === '1',
  /** Extra node flags for the BFF processes, e.g. "--max-old-space-size=96" to try V8 heap limits. */
  bffNodeArgs: (env.BENCH_BFF_NODE_ARGS ?? '').split(' ').filter(Boolean),
};
const maxConnections = Math.max(...settings.connections);

const CHECKOUT_BODY = JSON.stringify({
  amount: '49.95',
  customer: { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' },
});
const JSON_HEADERS = { 'content-type': 'application/json' };

function bffEnv(fakeUrl: string, prefetch: boolean, statusCacheMs: number): Record<string, string> {
  return {
    NODE_ENV: 'production',
    // At info every checkout writes five lines (two request, three upstream); warn keeps the
    // benchmark about the hot path, not about stdout.
    LOG_LEVEL: 'warn',
    FLINKS_BASE_URL: fakeUrl,
    FLINKS_USERNAME: 'bench',
    FLINKS_PASSWORD: 'bench',
    RATE_LIMIT_MAX: '1000000',
    STATUS_NOT_FOUND_LIMIT: '1000000',
    TOKEN_PREFETCH: String(prefetch),
    STATUS_CACHE_MS: String(statusCacheMs),
    // One call in flight per client connection, plus the prefetch refills (TOKEN_POOL_MAX, 64).
    UPSTREAM_CONNECTIONS: String(Math.min(1024, 2 * maxConnections + 64)),
  };
}

const checkoutTarget = (bff: Child) => ({ url: `${bff.url}/checkout`, method: 'POST' as const, headers: JSON_HEADERS, body: CHECKOUT_BODY });
const statusTarget = (bff: Child, requestId: string) => ({ url: `${bff.url}/checkout/${requestId}`, method: 'GET' as const });

async function createCheckout(bff: Child): Promise<string> {
  const res = await fetch(`${bff.url}/checkout`, { method: 'POST', headers: JSON_HEADERS, body: CHECKOUT_BODY });
  if (res.status !== 201) throw new Error(`POST /checkout answered ${res.status}`);
  return ((await res.json()) as { requestId: string }).requestId;
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  const load = () => loadavg().map((n) => n.toFixed(1)).join(' ');
  process.stdout.write(
    `cores: ${cores} (shared by the load generator, the fake Flinks and the BFF), node ${process.version}, ` +
      `load average ${load()}; ${settings.durationS} s per run after a warm-up of ${settings.warmupS} s ` +
      `(${settings.prefetchWarmupS} s with prefetch)\n`,
  );
  const entry = await buildBff();
  const nodeArgs = [...settings.bffNodeArgs, ...(settings.cpuProf ? ['--cpu-prof', '--cpu-prof-dir=bench/profiles'] : [])];
  const children: Child[] = [];
  const rows: Row[] = [];
  const rss: { baseline?: number; after?: number } = {};

  try {
    const fake = await startFakeFlinks(settings.latencyMs);
    children.push(fake);
    const prefetchBff = await startBff(entry, bffEnv(fake.url, true, 0), nodeArgs);
    children.push(prefetchBff);
    const directBff = await startBff(entry, bffEnv(fake.url, false, 2000), nodeArgs);
    children.push(directBff);
    const pids = children.map((child) => child.process.pid);
    rss.baseline = rssOf(prefetchBff.process.pid);
    const statusIds = new Map([
      [prefetchBff, await createCheckout(prefetchBff)],
      [directBff, await createCheckout(directBff)],
    ]);
    const floorStatusId = statusIds.get(prefetchBff) ?? '';

    // Let V8 compile the hot paths of every driver and both BFFs before anything is measured.
    process.stdout.write('  warming up\n');
    await setFakeLatency(fake.url, 0);
    for (const [bff, requestId] of statusIds) {
      await autocannonLoad(checkoutTarget(bff))(10, 2);
      await autocannonLoad(statusTarget(bff, requestId))(10, 1);
    }
    const warmFloor = createFloorClient(fake.url, 10);
    await closedLoop(() => warmFloor.checkout())(10, 2);
    await warmFloor.close();

    async function run(row: Pick<Row, 'kind' | 'who' | 'latencyMs' | 'connections'>, bff?: Child): Promise<void> {
      const scenario = `${row.kind === 'checkout' ? 'POST /checkout' : 'GET status'}, ${row.who}, ${row.latencyMs} ms`;
      process.stdout.write(`  ${scenario}, ${row.connections} connections\n`);
      if (bff) {
        const target = row.kind === 'checkout' ? checkoutTarget(bff) : statusTarget(bff, statusIds.get(bff) ?? '');
        const warmupS = row.who === 'BFF prefetch' ? settings.prefetchWarmupS : settings.warmupS;
        const run = { connections: row.connections, warmupS, durationS: settings.durationS };
        rows.push({ ...row, scenario, ...(await measure(autocannonLoad(target), run, pids, bff)) });
        return;
      }
      const floor = createFloorClient(fake.url, row.connections);
      const operation = row.kind === 'checkout' ? () => floor.checkout() : () => floor.status(floorStatusId);
      const run = { connections: row.connections, warmupS: settings.warmupS, durationS: settings.durationS };
      rows.push({ ...row, scenario, ...(await measure(closedLoop(operation), run, pids)) });
      await floor.close();
    }

    for (const latencyMs of [settings.latencyMs, 0]) {
      await setFakeLatency(fake.url, latencyMs);
      const connectionCounts = latencyMs === 0 ? settings.zeroConnections : settings.connections;
      for (const connections of connectionCounts) {
        const at = { latencyMs, connections };
        await run({ ...at, kind: 'checkout', who: 'floor' });
        await run({ ...at, kind: 'checkout', who: 'BFF prefetch' }, prefetchBff);
        await run({ ...at, kind: 'checkout', who: 'BFF no prefetch' }, directBff);
      }
      for (const connections of connectionCounts) {
        const at = { latencyMs, connections };
        await run({ ...at, kind: 'status', who: 'floor' });
        await run({ ...at, kind: 'status', who: 'BFF uncached' }, prefetchBff);
        if (connections === maxConnections) await run({ ...at, kind: 'status', who: 'BFF cached 2 s' }, directBff);
      }
    }
    process.stdout.write(`  idle ${settings.idleS} s, then RSS again\n`);
    await sleep(settings.idleS * 1000);
    rss.after = rssOf(prefetchBff.process.pid);
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }

  process.stdout.write(`\n${table(rows)}\n\n`);
  const targets = evaluateTargets({ rows, latencyMs: settings.latencyMs, maxConnections, rss });
  process.stdout.write(`Targets (cores: ${cores}, load average now ${load()}):\n${targetLines(targets)}\n`);
}

main().catch((error: unknown) => {
  // A benchmark that cannot run says why, but never fails a build.
  process.stderr.write(`benchmark could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
});
