import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BuiltEntries } from './build.js';
import { autocannonLoad } from './drivers.js';
import { checkoutTarget, minimalEnv, serviceEnv } from './peers.js';
import { rssOf, startBff, startFakeFlinks, type Child } from './processes.js';
import { redisIfReachable, removeKeysAndDisconnect } from './redis.js';
import { mb, type Target } from './report.js';

/*
 * RSS as deployed: with REDIS_URL (the manifests set it) idempotency keys and the checkouts'
 * outcome records live in Redis, so the service's memory is its own working set and not the
 * history of every checkout it served. The service and the minimal BFF take the same checkout
 * load one after the other (0 ms, 50 connections), then rest; RSS at start, highest under load, and
 * after the rest. Skipped when no Redis answers at REDIS_URL (default redis://127.0.0.1:6379).
 */

export interface RssSettings {
  loadS: number;
  idleS: number;
  connections: number;
  nodeArgs: readonly string[];
}

async function observe(bff: Child, settings: RssSettings) {
  const pid = bff.process.pid;
  await sleep(1000);
  const start = rssOf(pid) ?? 0;
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, rssOf(pid) ?? 0); }, 250);
  const sample = await autocannonLoad(checkoutTarget(bff))(settings.connections, settings.loadS);
  clearInterval(sampler);
  peak = Math.max(peak, rssOf(pid) ?? 0);
  await sleep(settings.idleS * 1000);
  return { start, peak, after: rssOf(pid) ?? 0, checkouts: sample.durationsMs.length, errors: sample.errors };
}

export async function runRssWithRedis(entries: BuiltEntries, settings: RssSettings, log: (line: string) => void): Promise<{ section: string; targets: Target[] }> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = await redisIfReachable(url);
  if (!redis) return { section: `RSS with Redis: skipped, no Redis answered at ${url}.`, targets: [] };
  const prefix = `bench-rss-${randomUUID().slice(0, 8)}:`;
  const fake = await startFakeFlinks(0);
  try {
    log(`  the service with REDIS_URL=${url} (prefix ${prefix}): ${settings.loadS} s of checkouts, then ${settings.idleS} s idle`);
    const service = await startBff(entries.service, serviceEnv(fake.url, 'prefetch', { REDIS_URL: url, REDIS_KEY_PREFIX: prefix }), { nodeArgs: settings.nodeArgs, quiet: true });
    const ours = await observe(service, settings).finally(() => service.stop());
    log('  the minimal BFF, the same way');
    const minimal = await startBff(entries.minimal, minimalEnv(fake.url), { nodeArgs: settings.nodeArgs });
    const floor = await observe(minimal, settings).finally(() => minimal.stop());
    const ratio = ours.peak / Math.max(1, floor.peak);
    const back = ours.after / Math.max(1, ours.start);
    const line = (name: string, r: typeof ours) =>
      `| ${name} | ${r.checkouts} (${r.errors} errors) | ${mb(r.start)} | ${mb(r.peak)} | ${mb(r.after)} |`;
    const section = [
      `RSS as deployed, with Redis (${url}; ${settings.loadS} s of checkouts at ${settings.connections} connections, 0 ms, then ${settings.idleS} s idle):`,
      '',
      `| process | checkouts | RSS at start | highest under load | ${settings.idleS} s after |`,
      '|---|--:|--:|--:|--:|',
      line('service (REDIS_URL set)', ours),
      line('minimal BFF', floor),
    ].join('\n');
    const targets: Target[] = [
      {
        name: 'RSS under load <= 1.3 x minimal BFF (service with Redis, as deployed)',
        measured: `${mb(ours.peak)} vs ${mb(floor.peak)} = ${ratio.toFixed(2)} x`,
        isMet: ratio <= 1.3,
        margin: `${mb(Math.abs(ours.peak - 1.3 * floor.peak))} ${ratio <= 1.3 ? 'to spare' : 'over'}`,
      },
      {
        name: `RSS ${settings.idleS} s after load within 10 % of the start (service with Redis)`,
        measured: `${mb(ours.start)} → ${mb(ours.after)} = ${back.toFixed(2)} x`,
        isMet: back <= 1.1,
        margin: `${mb(Math.abs(ours.after - 1.1 * ours.start))} ${back <= 1.1 ? 'to spare' : 'over'}`,
      },
    ];
    return { section, targets };
  } finally {
    await fake.stop();
    await removeKeysAndDisconnect(redis, prefix);
  }
}
