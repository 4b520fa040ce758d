import type { HttpTarget } from './drivers.js';
import type { Child } from './processes.js';

/*
 * How the BFFs under test are configured and called. The service runs with the settings of the
 * deployment manifests (deploy/kubernetes/configmap.yaml and deployment.yaml, docker-compose.yml),
 * with the few departures a single loopback benchmark needs, listed in DEPARTURES.
 */

/** The manifests' settings, as the benchmark passes them. */
export const DEPLOYED = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  TRUST_PROXY: '1',
  CORS_ORIGINS: 'https://shop.example.com',
  TOKEN_PREFETCH: 'true',
  STATUS_CACHE_MS: '2000',
  NODE_OPTIONS: '--max-old-space-size=192',
  MAX_HEAP_USED_MB: '144',
} as const;

/** What differs from the manifests, and why (printed with every run). */
export const DEPARTURES = [
  'REDIS_URL unset: one instance with the in-memory store (idempotency keys, records, outcome queue in process)',
  'RATE_LIMIT_MAX=1000000: every request comes from one loopback address (the limiter still counts each one)',
  'STATUS_RATE_LIMIT_MAX=1000000, MAX_EVENT_STREAMS(_PER_CLIENT)=100000: the same one address reads and follows every checkout',
  "STATUS_CACHE_MS=0 for status reads, so each read reaches Flinks like the floor's",
  'stdout (the JSON logs, written in full at LOG_LEVEL=info) is a pipe the load generator drains unread, standing in for the container runtime',
  'CHECKOUT_SIGNING_SECRET unset (the Secret template sets one): checkouts send the amount in the body, as the floors do, not a signed intent each',
];

/** Each BFF authorizes with its own username, so the fake can count its calls and tokens apart. */
export type Peer = 'minimal' | 'prefetch' | 'direct';

export function serviceEnv(fakeUrl: string, user: Peer, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...DEPLOYED,
    FLINKS_BASE_URL: fakeUrl,
    FLINKS_APP_URL: 'https://pay.example.com',
    FLINKS_USERNAME: user,
    FLINKS_PASSWORD: 'bench',
    RATE_LIMIT_MAX: '1000000',
    STATUS_RATE_LIMIT_MAX: '1000000',
    MAX_EVENT_STREAMS: '100000',
    MAX_EVENT_STREAMS_PER_CLIENT: '100000',
    ...overrides,
  };
}

/** The minimal BFFs read the few variables they have; node reads NODE_OPTIONS (the same heap cap). */
export function minimalEnv(fakeUrl: string, user: 'minimal' | 'fastify' = 'minimal'): Record<string, string> {
  return {
    NODE_OPTIONS: DEPLOYED.NODE_OPTIONS,
    FLINKS_BASE_URL: fakeUrl,
    FLINKS_APP_URL: 'https://pay.example.com',
    FLINKS_USERNAME: user,
    FLINKS_PASSWORD: 'bench',
  };
}

export const CHECKOUT_BODY = JSON.stringify({
  amount: '49.95',
  customer: { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' },
});

/**
 * As the drop-in browser client sends it: cross-origin, through the ingress (X-Forwarded-For), with
 * a fresh Idempotency-Key per checkout (autocannon writes a new id in place of `[<id>]` each time).
 */
export function checkoutTarget(bff: Child): HttpTarget {
  return {
    url: `${bff.url}/checkout`,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin: DEPLOYED.CORS_ORIGINS,
      'x-forwarded-for': '203.0.113.7',
      'idempotency-key': '[<id>]',
    },
    body: CHECKOUT_BODY,
    idReplacement: true,
  };
}

/** Status reads cycle through this many checkouts of each BFF (see statusTarget). */
export const STATUS_IDS = 500;

/**
 * Status reads of `requestIds` in turn, as many shoppers each polling their own checkout (reads of
 * one id in flight at once would share a single Flinks call in the service).
 */
export function statusTarget(bff: Child, requestIds: readonly string[]): HttpTarget {
  return {
    url: `${bff.url}/checkout/${requestIds[0] ?? ''}`,
    method: 'GET',
    headers: { origin: DEPLOYED.CORS_ORIGINS, 'x-forwarded-for': '203.0.113.7' },
    paths: requestIds.map((id) => `/checkout/${id}`),
  };
}

/** `count` checkouts, `concurrency` at a time; their requestIds. */
export async function createCheckouts(bff: Child, count: number, concurrency = 20): Promise<string[]> {
  const ids: string[] = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < count) {
        started++;
        ids.push((await createCheckout(bff)).requestId);
      }
    }),
  );
  return ids;
}

/** One checkout, for the requestId that status reads then use. */
export async function createCheckout(bff: Child, headers: Record<string, string> = {}): Promise<{ requestId: string; text: string }> {
  const res = await fetch(`${bff.url}/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: CHECKOUT_BODY,
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST /checkout answered ${res.status}: ${text}`);
  return { requestId: (JSON.parse(text) as { requestId: string }).requestId, text };
}

/** The service's /metrics, as Prometheus text. */
export async function metricsText(bff: Child): Promise<string> {
  return (await fetch(`${bff.url}/metrics`)).text();
}

/** A counter of the service's /metrics (0 when absent). */
export async function metricValue(bff: Child, name: string): Promise<number> {
  const text = await metricsText(bff);
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return match?.[1] ? Number(match[1]) : 0;
}
