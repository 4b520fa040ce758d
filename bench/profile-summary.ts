import { readFileSync } from 'node:fs';

/*
 * Where a request's CPU goes, from a V8 .cpuprofile (node --cpu-prof): the self time of every
 * sample is charged to a bucket chosen by the file of the function that was running. Functions
 * without a file of their own (V8 builtins such as Array.prototype.map, node internals such as
 * crypto or URL) are charged to the nearest caller that has one, so a hash computed for an
 * idempotency key counts as idempotency; JSON.parse/stringify, sockets and timers, and the garbage
 * collector have buckets of their own.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Bucket names, in the order they are printed. */
export const BUCKETS = [
  'framework (fastify, routing, hooks, reply)',
  'validation (zod, body scan, amount rules)',
  'logging and redaction (pino)',
  'metrics (prom-client)',
  'rate limit',
  'security headers (helmet)',
  'CORS',
  'load shedding (under-pressure)',
  'idempotency (claim, fingerprint, store)',
  'upstream client (undici, resilience, token pool)',
  'checkout flow and records',
  'outcome delivery (records, reconcile queue)',
  'JSON (parse, stringify)',
  'node core (HTTP parser, sockets, timers, streams)',
  'garbage collection',
  'native, outside any JS function',
  'other',
] as const;
export type Bucket = (typeof BUCKETS)[number];

/** First match wins; a path is a file URL or a node: specifier. */
const RULES: [RegExp, Bucket][] = [
  [
    /node_modules\/(pino|pino-std-serializers|fast-redact|@pinojs\/redact|sonic-boom|thread-stream|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify|abstract-logging)\//,
    'logging and redaction (pino)',
  ],
  [/\/src\/observability\/logger\.js/, 'logging and redaction (pino)'],
  [/node_modules\/(zod|@fastify\/type-provider-zod)\//, 'validation (zod, body scan, amount rules)'],
  [/\/src\/(checkout\/schemas|money\/|intents\/|plugins\/app\/json-body)/, 'validation (zod, body scan, amount rules)'],
  [/node_modules\/(prom-client|tdigest|bintrees)\//, 'metrics (prom-client)'],
  [/\/src\/(plugins\/app\/metrics|observability\/metrics)/, 'metrics (prom-client)'],
  [/node_modules\/@fastify\/rate-limit\//, 'rate limit'],
  [/\/src\/plugins\/(external\/rate-limit|app\/not-found)/, 'rate limit'],
  [/node_modules\/(@fastify\/helmet|helmet)\//, 'security headers (helmet)'],
  [/\/src\/plugins\/external\/helmet/, 'security headers (helmet)'],
  [/node_modules\/(@fastify\/cors|vary)\//, 'CORS'],
  [/node_modules\/@fastify\/under-pressure\//, 'load shedding (under-pressure)'],
  [/\/src\/(plugins\/app\/idempotency|checkout\/idempotency-store)/, 'idempotency (claim, fingerprint, store)'],
  [/node_modules\/(undici|cockatiel)\//, 'upstream client (undici, resilience, token pool)'],
  [/\/src\/upstream\//, 'upstream client (undici, resilience, token pool)'],
  [/\/src\/outcomes\//, 'outcome delivery (records, reconcile queue)'],
  [/\/src\/(checkout|routes|store)\/|\/bench\/minimal-bff\.js/, 'checkout flow and records'],
  [/node_modules\/(secure-json-parse|fast-json-stringify)\//, 'JSON (parse, stringify)'],
  [
    /node_modules\/(fastify|find-my-way|avvio|light-my-request|@fastify\/[^/]+|fast-querystring|fast-decode-uri-component|proxy-addr|forwarded|ipaddr\.js|toad-cache|fastify-plugin|process-warning|rfdc|content-type|safe-regex2|ret)\//,
    'framework (fastify, routing, hooks, reply)',
  ],
  [/\/src\/(app|plugins)\//, 'framework (fastify, routing, hooks, reply)'],
  [
    /^node:internal\/(http|_http|net|stream|streams|timers|process\/task_queues|async_hooks|dns|tcp|perf|event_target|abort_controller)|^node:(http|_http|net|stream|timers)/,
    'node core (HTTP parser, sockets, timers, streams)',
  ],
];

/** The bucket of code in `url` (a file URL, a path or a node: specifier), or undefined to charge its caller. */
export function bucketOfUrl(url: string): Bucket | undefined {
  for (const [pattern, bucket] of RULES) if (pattern.test(url)) return bucket;
  return undefined;
}

/** A bucket, or undefined to charge the caller (builtins, node internals used by a library, lru-cache). */
function ownBucket({ functionName, url }: ProfileNode['callFrame']): Bucket | 'idle' | undefined {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(program)') return 'native, outside any JS function';
    if (functionName === '(idle)' || functionName === '(root)') return 'idle';
    if (functionName === 'parse' || functionName === 'stringify') return 'JSON (parse, stringify)';
    return undefined;
  }
  return bucketOfUrl(url);
}

export interface ProfileSummary {
  /** Microseconds of CPU per bucket, over the window. */
  micros: Map<Bucket, number>;
  totalMicros: number;
}

/**
 * Sums the samples taken between `fromUs` and `toUs` (the monotonic clock in microseconds, the one
 * process.hrtime uses: V8 stamps its samples with the same clock).
 */
export function summarizeCpuProfile(path: string, fromUs: number, toUs: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const bucketCache = new Map<number, Bucket | 'idle'>();
  const bucketOf = (id: number): Bucket | 'idle' => {
    const cached = bucketCache.get(id);
    if (cached) return cached;
    const node = byId.get(id);
    const parent = parentOf.get(id);
    const own = node ? ownBucket(node.callFrame) : 'other';
    const bucket = own ?? (parent === undefined ? 'other' : bucketOf(parent));
    bucketCache.set(id, bucket);
    return bucket;
  };
  const micros = new Map<Bucket, number>();
  let at = profile.startTime;
  let totalMicros = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    // A sample's time is the interval since the one before it: charged to the sample that ends it.
    if (at < fromUs || at > toUs) return;
    const bucket = bucketOf(id);
    if (bucket === 'idle') return;
    micros.set(bucket, (micros.get(bucket) ?? 0) + delta);
    totalMicros += delta;
  });
  return { micros, totalMicros };
}

/**
 * The table of µs per request and share of the total, largest first; with the floor's profile, its
 * µs per request in each bucket beside them (the minimal BFF's own code counts as checkout flow).
 */
export function profileTable(summary: ProfileSummary, requests: number, unit: string, floor?: { summary: ProfileSummary; requests: number }): string {
  const perRequest = (us: number, n: number) => (us / n).toFixed(1);
  const floorCell = (us: number) => (floor ? ` ${perRequest(us, floor.requests)} |` : '');
  const lines = [`| where the CPU goes | µs per ${unit} | share |${floor ? ' minimal BFF, µs |' : ''}`, `|---|--:|--:|${floor ? '--:|' : ''}`];
  const rows = BUCKETS.map((bucket) => [bucket, summary.micros.get(bucket) ?? 0, floor?.summary.micros.get(bucket) ?? 0] as const)
    .filter(([, us, floorUs]) => us > 0 || floorUs > 0)
    .sort((a, b) => b[1] - a[1]);
  for (const [bucket, us, floorUs] of rows) {
    lines.push(`| ${bucket} | ${perRequest(us, requests)} | ${((us / summary.totalMicros) * 100).toFixed(1)} % |${floorCell(floorUs)}`);
  }
  lines.push(
    `| **total (profiled, busy)** | **${perRequest(summary.totalMicros, requests)}** | 100 % |${floor ? ` **${perRequest(floor.summary.totalMicros, floor.requests)}** |` : ''}`,
  );
  return lines.join('\n');
}
