import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { Agent, request } from 'undici';
import { startSandbox, validCheckout } from '../support/build.js';
import { BFF_LISTENING, bffProcessEnv, startProcess } from '../support/process.js';
import { deploymentMemory } from '../deploy/memory.js';

/*
 * Load shedding must fire before the heap runs out. The service runs as a child process with a
 * small old space (NODE_OPTIONS=--max-old-space-size, as in the manifests) and no MAX_HEAP_USED_MB,
 * so the default threshold is what is tested. Its heap is filled the way
 * production fills it: thousands of checkouts held open by a Flinks that answers slowly. The
 * service must answer 503 problem+json with Retry-After, stay alive, and by then use no more
 * memory beyond V8's heap limit than the Kubernetes manifest leaves for it.
 */
const CAP_MB = 96;
const BATCH = 250;
const MAX_REQUESTS = 16_000;
const MiB = 1024 * 1024;

t.setTimeout(240_000);

/** V8's heap limit (old space + young generation) of this Node with the given old-space cap, in MiB. */
function heapLimitMb(capMb: number): number {
  const out = execFileSync(process.execPath, [`--max-old-space-size=${capMb}`, '-p', 'require("v8").getHeapStatistics().heap_size_limit']);
  return Number(out.toString().trim()) / MiB;
}

function rssMb(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) / 1024;
}

t.test(`with a ${CAP_MB} MiB old space, filling the heap with slow checkouts gets 503s from shedding, not a crash`, async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.control.inject('paymentrequest', { kind: 'delay', ms: 30_000 }, MAX_REQUESTS);
  const bff = await startProcess(
    t,
    'src/server.ts',
    bffProcessEnv(sandbox.url, {
      // As the manifests cap it (they also set MAX_HEAP_USED_MB, at this same 75 %).
      NODE_OPTIONS: `--max-old-space-size=${CAP_MB}`,
      NODE_ENV: 'production',
      RATE_LIMIT_MAX: '1000000',
      UPSTREAM_TIMEOUT_MS: '60000',
      UPSTREAM_MAX_CONCURRENCY: '100000',
      UPSTREAM_MAX_QUEUE: '100000',
      // Only heap pressure is under test: a busy machine must not shed for event-loop delay first.
      MAX_EVENT_LOOP_DELAY_MS: '60000',
      SHUTDOWN_TIMEOUT_MS: '1000',
    }),
    BFF_LISTENING,
  );
  const pid = bff.child.pid ?? 0;
  const client = new Agent({ connections: MAX_REQUESTS, keepAliveTimeout: 60_000 });
  t.teardown(() => client.destroy());

  let sent = 0;
  let shed: { status: number; headers: Record<string, unknown>; body: string; rssMb: number } | undefined;
  const statuses = new Map<string, number>();
  const count = (status: string) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
  const post = () =>
    request(`${bff.url}/checkout`, {
      method: 'POST',
      dispatcher: client,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(validCheckout()),
    }).then(
      async (res) => {
        count(String(res.statusCode));
        if (res.statusCode === 503 && !shed) {
          const rss = rssMb(pid);
          shed = { status: res.statusCode, headers: res.headers, body: await res.body.text(), rssMb: rss };
        } else await res.body.dump();
      },
      (error: unknown) => count((error as { code?: string }).code ?? 'error'),
    );

  const deadline = Date.now() + 150_000;
  while (!shed && sent < MAX_REQUESTS && Date.now() < deadline && bff.child.exitCode === null && bff.child.signalCode === null) {
    for (let i = 0; i < BATCH; i += 1) void post();
    sent += BATCH;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  // Keep pushing for a while: while it sheds, more load must not bring the process down.
  for (let round = 0; round < 4 && shed; round += 1) {
    for (let i = 0; i < BATCH; i += 1) void post();
    sent += BATCH;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  t.comment(`${sent} checkouts sent: ${JSON.stringify(Object.fromEntries(statuses))}`);

  const alive = bff.child.exitCode === null && bff.child.signalCode === null;
  if (!alive)
    t.comment(
      bff
        .output()
        .split('\n')
        .filter((line) => !line.includes('"msg":"incoming request"'))
        .join('\n')
        .slice(-3000),
    );
  t.equal(bff.child.exitCode, null, 'the service is still running');
  t.equal(bff.child.signalCode, null, 'it did not abort for lack of heap');
  t.ok(shed, 'a request was refused with 503');
  if (!shed) return;
  t.equal(shed.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(shed.headers['retry-after'], '5');
  t.match(JSON.parse(shed.body), { status: 503, title: String, detail: 'The service is overloaded.' });
  t.match(bff.output(), /"pressure":"heapUsedBytes"[^\n]*shedding load/, 'refused for heap, by load shedding');

  const health = await request(`${bff.url}/health`, { dispatcher: new Agent() });
  t.equal(health.statusCode, 200, 'liveness still answers');
  await health.body.dump();

  // What the manifests leave beyond V8's own heap limit must hold what this process uses there.
  const manifest = deploymentMemory();
  const headroomMb = manifest.limitMb - heapLimitMb(manifest.oldSpaceMb);
  const usedBeyondHeapLimitMb = shed.rssMb - heapLimitMb(CAP_MB);
  t.comment(
    `RSS at the first 503: ${shed.rssMb.toFixed(0)} MiB; beyond V8's heap limit: ${usedBeyondHeapLimitMb.toFixed(0)} MiB (manifest leaves ${headroomMb.toFixed(0)})`,
  );
  t.ok(usedBeyondHeapLimitMb < headroomMb, 'the pod memory limit would not have been reached');
});
