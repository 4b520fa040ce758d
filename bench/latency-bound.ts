import { randomUUID } from 'node:crypto';
import type { BuiltEntries } from './build.js';
import { autocannonLoad, closedLoop } from './drivers.js';
import { createFloorClient } from './floor.js';
import { measure } from './measure.js';
import { checkoutTarget, createCheckouts, metricsText, serviceEnv, statusTarget } from './peers.js';
import { setFakeLatency, startBff, startFakeFlinks, type Child } from './processes.js';
import { redisIfReachable, removeKeysAndDisconnect } from './redis.js';
import type { Row } from './report.js';
import { timingsBetween, totalsOf } from './service-timings.js';

/*
 * The latency-bound scenario: the fake answers each call after `latencyMs` (10 ms), few
 * connections, and the floor is the Flinks calls themselves, made straight from the driver with
 * undici (no server in front): three calls per checkout, one per status read. What the BFF adds
 * shows as its p50 next to the floor's; with prefetch a checkout needs two calls instead of three.
 * When a Redis answers at `redisUrl`, checkouts are also timed on the service with REDIS_URL set, as
 * deployed: its round trips to Redis come on top of the calls.
 */

export interface LatencySettings {
  latencyMs: number;
  connections: readonly number[];
  zeroConnections: readonly number[];
  durationS: number;
  warmupS: number;
  prefetchWarmupS: number;
  nodeArgs: readonly string[];
  /** Where the service's Redis twin finds Redis; the twin is left out when none answers there. */
  redisUrl: string;
}

export async function runLatencyBound(entries: BuiltEntries, settings: LatencySettings, log: (line: string) => void) {
  const maxConnections = Math.max(...settings.connections);
  const children: Child[] = [];
  const rows: Row[] = [];
  const redis = await redisIfReachable(settings.redisUrl);
  const prefix = `bench-latency-${randomUUID().slice(0, 8)}:`;
  try {
    const fake = await startFakeFlinks(settings.latencyMs);
    children.push(fake);
    const options = { nodeArgs: settings.nodeArgs, quiet: true };
    const prefetchBff = await startBff(entries.service, serviceEnv(fake.url, 'prefetch', { STATUS_CACHE_MS: '0' }), options);
    children.push(prefetchBff);
    // Prefetch off, and the manifests' 2 s status cache.
    const directBff = await startBff(entries.service, serviceEnv(fake.url, 'direct', { TOKEN_PREFETCH: 'false' }), options);
    children.push(directBff);
    const redisBff = redis
      ? await startBff(
          entries.service,
          serviceEnv(fake.url, 'prefetch', { STATUS_CACHE_MS: '0', REDIS_URL: settings.redisUrl, REDIS_KEY_PREFIX: prefix }),
          options,
        )
      : undefined;
    if (redisBff) children.push(redisBff);
    const pids = children.map((child) => child.process.pid);
    const statusIds = new Map([
      [prefetchBff, await createCheckouts(prefetchBff, 200)],
      [directBff, await createCheckouts(directBff, 200)],
    ]);
    const floorStatusId = statusIds.get(prefetchBff)?.[0] ?? '';

    // Let V8 compile the hot paths of every driver and both BFFs before anything is measured.
    log('  warming up');
    await setFakeLatency(fake.url, 0);
    for (const [bff, requestIds] of statusIds) {
      await autocannonLoad(checkoutTarget(bff))(10, 2);
      await autocannonLoad(statusTarget(bff, requestIds))(10, 1);
    }
    if (redisBff) await autocannonLoad(checkoutTarget(redisBff))(10, 2);
    const warmFloor = createFloorClient(fake.url, 10);
    await closedLoop(() => warmFloor.checkout())(10, 2);
    await warmFloor.close();

    async function run(row: Pick<Row, 'kind' | 'who' | 'latencyMs' | 'connections'>, bff?: Child): Promise<void> {
      const scenario = `${row.kind === 'checkout' ? 'POST /checkout' : 'GET status'}, ${row.who}, ${row.latencyMs} ms`;
      log(`  ${scenario}, ${row.connections} connections`);
      if (bff) {
        const target = row.kind === 'checkout' ? checkoutTarget(bff) : statusTarget(bff, statusIds.get(bff) ?? []);
        const warmupS = row.who.startsWith('BFF prefetch') ? settings.prefetchWarmupS : settings.warmupS;
        const run = { connections: row.connections, warmupS, durationS: settings.durationS };
        if (row.kind !== 'checkout') {
          rows.push({ ...row, scenario, ...(await measure(autocannonLoad(target), run, pids, bff)) });
          return;
        }
        // Only the measured window: the warm-up runs before the first scrape.
        if (warmupS > 0) await autocannonLoad(target)(row.connections, warmupS);
        const before = totalsOf(await metricsText(bff));
        const measured = await measure(autocannonLoad(target), { ...run, warmupS: 0 }, pids, bff);
        const timings = timingsBetween(before, totalsOf(await metricsText(bff)));
        rows.push({ ...row, scenario, ...measured, ...(timings ? { timings } : {}) });
        return;
      }
      const floor = createFloorClient(fake.url, row.connections);
      const operation = row.kind === 'checkout' ? () => floor.checkout() : () => floor.status(floorStatusId);
      const run = { connections: row.connections, warmupS: settings.warmupS, durationS: settings.durationS };
      rows.push({ ...row, scenario, ...(await measure(closedLoop(operation), run, pids)) });
      await floor.close();
    }

    for (const latencyMs of [settings.latencyMs, 0]) {
      const connectionCounts = latencyMs === 0 ? settings.zeroConnections : settings.connections;
      if (connectionCounts.length === 0) continue;
      await setFakeLatency(fake.url, latencyMs);
      for (const connections of connectionCounts) {
        const at = { latencyMs, connections };
        await run({ ...at, kind: 'checkout', who: 'floor' });
        await run({ ...at, kind: 'checkout', who: 'BFF prefetch' }, prefetchBff);
        if (redisBff) await run({ ...at, kind: 'checkout', who: 'BFF prefetch, Redis' }, redisBff);
        await run({ ...at, kind: 'checkout', who: 'BFF no prefetch' }, directBff);
      }
      for (const connections of connectionCounts) {
        const at = { latencyMs, connections };
        await run({ ...at, kind: 'status', who: 'floor' });
        await run({ ...at, kind: 'status', who: 'BFF uncached' }, prefetchBff);
        if (connections === maxConnections) await run({ ...at, kind: 'status', who: 'BFF cached 2 s' }, directBff);
      }
    }
    return { rows };
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    if (redis) await removeKeysAndDisconnect(redis, prefix);
  }
}
