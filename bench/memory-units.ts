import { Agent, request } from 'undici';
import { connectInspector } from './inspector.js';
import { CHECKOUT_BODY, serviceEnv } from './peers.js';
import { rssOf, startBff, startFakeFlinks, type Child } from './processes.js';
import { mb } from './report.js';

/*
 * What one open event stream and one idempotency record cost the service in memory: the live
 * JavaScript heap (after a full GC, read through the inspector) and RSS, before and after opening
 * N streams or keeping N more keyed checkouts. With REDIS_URL (as deployed) the records live in
 * Redis instead; their stored size is given too.
 */

export interface MemorySettings {
  streams: number;
  records: number;
  nodeArgs: readonly string[];
}

/** Runs `task` for each of `count` items, `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function checkouts(bff: Child, count: number, keyed: boolean, agent: Agent): Promise<string[]> {
  const ids: string[] = [];
  let stored = 0;
  await inParallel(count, 20, async (i) => {
    const res = await request(`${bff.url}/checkout`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', ...(keyed ? { 'idempotency-key': `bench-${Date.now()}-${i}` } : {}) },
      body: CHECKOUT_BODY,
    });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw new Error(`POST /checkout answered ${res.statusCode}`);
    ids.push((JSON.parse(text) as { requestId: string }).requestId);
    stored = text.length + String(res.headers.location ?? '').length;
  });
  lastBodyBytes = stored;
  return ids;
}
let lastBodyBytes = 0;

/** Opens an event stream per id and resolves once each has delivered its first status event. */
async function openStreams(bff: Child, ids: readonly string[], agent: Agent): Promise<() => void> {
  const controllers: AbortController[] = [];
  await inParallel(ids.length, 50, async (i) => {
    const controller = new AbortController();
    controllers.push(controller);
    const res = await request(`${bff.url}/checkout/${ids[i] ?? ''}/events`, {
      dispatcher: agent,
      signal: controller.signal,
      headers: { accept: 'text/event-stream' },
    });
    if (res.statusCode !== 200) throw new Error(`GET events answered ${res.statusCode}`);
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      // The first status comes at once; a stream that stays silent is a failure, not a wait.
      const timer = setTimeout(() => {
        reject(new Error('an event stream sent no status within 10 s'));
      }, 10_000);
      res.body.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('event: status')) {
          clearTimeout(timer);
          resolve();
        }
      });
      res.body.on('error', () => undefined);
    });
  });
  return () => {
    for (const controller of controllers) controller.abort();
  };
}

export async function runMemoryUnits(entry: string, settings: MemorySettings, log: (line: string) => void): Promise<string> {
  const fake = await startFakeFlinks(0);
  const agent = new Agent({ connections: settings.streams + 100, keepAliveTimeout: 10_000 });
  let bff: Child | undefined;
  try {
    bff = await startBff(entry, serviceEnv(fake.url, 'prefetch', { STATUS_CACHE_MS: '0' }), { nodeArgs: settings.nodeArgs, quiet: true, inspect: true });
    const inspector = await connectInspector(bff.inspectorUrl ?? '');
    const pid = bff.process.pid;
    const weigh = async () => ({ heap: await inspector.liveHeapBytes(), rss: rssOf(pid) ?? 0 });

    log('  warming up (checkouts with and without keys, a few streams)');
    await checkouts(bff, 300, false, agent);
    await checkouts(bff, 300, true, agent);
    (await openStreams(bff, await checkouts(bff, 50, false, agent), agent))();

    log(`  ${settings.streams} checkouts, then an event stream open on each`);
    const ids = await checkouts(bff, settings.streams, false, agent);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const beforeStreams = await weigh();
    const close = await openStreams(bff, ids, agent);
    const withStreams = await weigh();
    close();
    await new Promise((resolve) => setTimeout(resolve, 1000));

    log(`  ${settings.records} checkouts without a key, then ${settings.records} with one`);
    const start = await weigh();
    await checkouts(bff, settings.records, false, agent);
    const unkeyed = await weigh();
    await checkouts(bff, settings.records, true, agent);
    const keyed = await weigh();
    inspector.close();

    const perStream = (withStreams.heap - beforeStreams.heap) / settings.streams;
    const perStreamRss = (withStreams.rss - beforeStreams.rss) / settings.streams;
    const perCheckout = (unkeyed.heap - start.heap) / settings.records;
    const perKeyed = (keyed.heap - unkeyed.heap) / settings.records;
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    return [
      `Memory per unit (the service with the deployment settings, in-memory store; live heap after a full GC; RSS at the end ${mb(keyed.rss)}):`,
      '',
      '| unit | live heap each | RSS each |',
      '|---|--:|--:|',
      `| open event stream (${settings.streams} streams, one per checkout) | ${kb(perStream)} | ${kb(perStreamRss)} |`,
      `| checkout remembered without an Idempotency-Key (outcome record, reconcile job) | ${kb(perCheckout)} | ${kb((unkeyed.rss - start.rss) / settings.records)} |`,
      `| idempotency record (a keyed checkout minus an unkeyed one) | ${kb(perKeyed - perCheckout)} | ${kb((keyed.rss - unkeyed.rss - (unkeyed.rss - start.rss)) / settings.records)} |`,
      '',
      `With REDIS_URL the records are kept in Redis instead: the stored answer is ~${lastBodyBytes + 200} bytes of JSON per key (201 body, Location, status, content type, body fingerprint) plus Redis's own overhead per key.`,
    ].join('\n');
  } finally {
    await agent.close();
    await bff?.stop();
    await fake.stop();
  }
}
