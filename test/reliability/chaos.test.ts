import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { Agent, request } from 'undici';
import { createSandboxControl, type SandboxFault, type SandboxStep } from '../../sandbox/control.js';
import { buildTestApp, startSandbox, validCheckout } from '../support/build.js';

const CHECKOUTS = 500;
const CALLS_PER_STEP = 4000;

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/** A deterministic pseudo-random sequence, so a failing run can be reproduced. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** 30 % failures (errors, garbage, hangs), latency spikes on some of the rest. */
function chaoticFault(random: () => number): SandboxFault {
  const roll = random();
  if (roll < 0.12) return { kind: 'status', status: 500 };
  if (roll < 0.18) return { kind: 'status', status: 503 };
  if (roll < 0.24) return { kind: 'garbage' };
  if (roll < 0.27) return { kind: 'invalid' };
  if (roll < 0.3) return { kind: 'hang' };
  if (roll < 0.4) return { kind: 'delay', ms: 50 + Math.floor(random() * 250) };
  return { kind: 'delay', ms: 0 };
}

function heapMb(): number {
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

t.test(`chaos: ${CHECKOUTS} concurrent keyed checkouts against a failing upstream, each retried, never duplicate`, async (t) => {
  const sandbox = await startSandbox(t, { control: createSandboxControl({ maxCalls: 50_000 }) });
  const app = await buildTestApp(t, sandbox, {
    RATE_LIMIT_MAX: '100000',
    // Generous, so only the injected hangs time out, not calls slowed by this test's own load.
    UPSTREAM_TIMEOUT_MS: '4000',
    CIRCUIT_FAILURE_THRESHOLD: '1000',
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const client = new Agent({ connections: 128 });
  t.teardown(() => client.close());
  const post = async (key: string, referenceId: string) => {
    const res = await request(`${url}/checkout`, {
      method: 'POST',
      dispatcher: client,
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(validCheckout({ referenceId })),
    });
    return { status: res.statusCode, type: String(res.headers['content-type']), body: await res.body.text() };
  };

  // Warm up, then take the memory baseline.
  for (let i = 0; i < 20; i++) await post(randomUUID(), `warm-${i}`);
  const baseline = heapMb();

  const random = seeded(20261125);
  const steps: SandboxStep[] = ['authorize', 'initiate', 'paymentrequest'];
  const planned = new Map<SandboxStep, SandboxFault[]>(steps.map((step) => [step, []]));
  sandbox.control.reset();
  for (let i = 0; i < CALLS_PER_STEP; i++) {
    for (const step of steps) {
      const fault = chaoticFault(random);
      planned.get(step)?.push(fault);
      sandbox.control.inject(step, fault);
    }
  }

  const keys = Array.from({ length: CHECKOUTS }, (_, i) => ({ key: randomUUID(), referenceId: `chaos-${i}` }));
  const outcomes = new Map<number, number>();
  const unclean: string[] = [];
  const started = Date.now();
  await Promise.all(
    keys.map(async ({ key, referenceId }) => {
      // The client retries on 5xx with the same key, as a phone losing Wi-Fi would: three times.
      for (let attempt = 0; attempt < 4; attempt++) {
        const res = await post(key, referenceId);
        outcomes.set(res.status, (outcomes.get(res.status) ?? 0) + 1);
        const clean = res.status === 201 || (res.status >= 500 && res.type.startsWith('application/problem+json'));
        if (!clean && res.status !== 409) unclean.push(`${res.status} ${res.body.slice(0, 100)}`);
        if (res.status === 201) return;
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;

  const initiatesPerReference = new Map<string, number>();
  for (const call of sandbox.control.calls) {
    if (call.step !== 'initiate') continue;
    const referenceId = (JSON.parse(call.rawBody) as { referenceId: string }).referenceId;
    initiatesPerReference.set(referenceId, (initiatesPerReference.get(referenceId) ?? 0) + 1);
  }
  const duplicates = [...initiatesPerReference.values()].filter((count) => count > 1).length;
  // Faults are consumed in call order, so the first count(step) planned faults are the ones served.
  const served = steps.flatMap((step) => (planned.get(step) ?? []).slice(0, sandbox.control.count(step)));
  const failuresInjected = served.filter((fault) => fault.kind !== 'delay').length;
  const spikesInjected = served.filter((fault) => fault.kind === 'delay' && fault.ms > 0).length;
  const upstreamCalls = sandbox.control.calls.length;

  t.same(unclean, [], 'every answer is a 201, a 409 while in flight, or a clean problem+json 5xx');
  t.equal(duplicates, 0, 'no key ever started a second Flinks session');
  t.ok((outcomes.get(201) ?? 0) > CHECKOUTS * 0.25, 'a good share still succeeded');
  t.ok(await fetchHealth(url), 'the service is still up');

  const after = heapMb();
  t.ok(after - baseline < 30, `heap returns to baseline: ${baseline.toFixed(1)} MB → ${after.toFixed(1)} MB`);
  t.comment(
    `chaos: ${CHECKOUTS} checkouts, ${[...outcomes.values()].reduce((a, b) => a + b, 0)} requests in ${seconds.toFixed(1)} s, ` +
      `${upstreamCalls} upstream calls, ${failuresInjected} failures and ${spikesInjected} latency spikes injected, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}, ` +
      `duplicates ${duplicates}, heap ${baseline.toFixed(1)} → ${after.toFixed(1)} MB`,
  );

  async function fetchHealth(base: string): Promise<boolean> {
    const res = await request(`${base}/health`, { dispatcher: client });
    await res.body.dump();
    return res.statusCode === 200;
  }
});
