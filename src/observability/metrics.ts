import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Latency buckets in seconds, dense around the few milliseconds this service adds. */
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const CIRCUIT_STATES = { closed: 0, 'half-open': 1, open: 2 } as const;
type CircuitStateName = keyof typeof CIRCUIT_STATES;

/**
 * Every instrument the service exports at /metrics, on a registry of its own (so several apps can
 * live in one process, e.g. in tests). Collected values come from callbacks set by the owners.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

  const tokenPoolSource = { size: () => 0 };
  const circuitSource = { states: (): Record<string, CircuitStateName> => ({}) };
  const upstreamQueueSource = { size: () => 0 };
  const streamSource = { size: () => ({ streams: 0, watches: 0, listeners: 0 }) };

  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer a request, by route and status code.',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    }),
    upstreamDuration: new Histogram({
      name: 'flinks_upstream_duration_seconds',
      help: 'Time of each Flinks Pay call, by step and outcome (ok, rejected, timeout, unavailable).',
      labelNames: ['step', 'outcome'] as const,
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    }),
    tokenPoolHits: new Counter({
      name: 'flinks_token_pool_hits_total',
      help: 'Checkouts that took a prefetched bearer token.',
      registers: [registry],
    }),
    tokenPoolMisses: new Counter({
      name: 'flinks_token_pool_misses_total',
      help: 'Checkouts that had to authorize on the spot.',
      registers: [registry],
    }),
    tokenPoolSize: new Gauge({
      name: 'flinks_token_pool_size',
      help: 'Prefetched, unused bearer tokens held right now.',
      registers: [registry],
      collect() {
        this.set(tokenPoolSource.size());
      },
    }),
    circuitState: new Gauge({
      name: 'flinks_circuit_state',
      help: 'Circuit of each Flinks Pay call (step): 0 closed, 1 half-open (probing), 2 open (calls refused).',
      labelNames: ['step'] as const,
      registers: [registry],
      collect() {
        for (const [step, state] of Object.entries(circuitSource.states())) this.set({ step }, CIRCUIT_STATES[state]);
      },
    }),
    upstreamQueued: new Gauge({
      name: 'flinks_upstream_queued_calls',
      help: 'Flinks Pay calls waiting for a slot, UPSTREAM_MAX_CONCURRENCY being in flight; beyond UPSTREAM_MAX_QUEUE requests get 503.',
      registers: [registry],
      collect() {
        this.set(upstreamQueueSource.size());
      },
    }),
    idempotencyReplays: new Counter({
      name: 'checkout_idempotency_replays_total',
      help: 'POST /checkout answered from an earlier request with the same Idempotency-Key.',
      registers: [registry],
    }),
    rateLimitRejections: new Counter({
      name: 'http_rate_limit_rejections_total',
      help: 'Requests refused with 429, by route.',
      labelNames: ['route'] as const,
      registers: [registry],
    }),
    eventStreamsOpen: new Gauge({
      name: 'checkout_event_streams_open',
      help: 'Event streams (GET /checkout/{requestId}/events) open on this instance.',
      registers: [registry],
      collect() {
        this.set(streamSource.size().streams);
      },
    }),
    statusWatches: new Gauge({
      name: 'checkout_status_watches',
      help: 'Checkouts followed by event streams, each polled from Flinks once per STATUS_POLL_INTERVAL_MS.',
      registers: [registry],
      collect() {
        this.set(streamSource.size().watches);
      },
    }),
    statusListeners: new Gauge({
      name: 'checkout_status_listeners',
      help: 'Event streams attached to a watched checkout; equals checkout_event_streams_open once every stream has its first status.',
      registers: [registry],
      collect() {
        this.set(streamSource.size().listeners);
      },
    }),
    /** Lets the event streams report their bookkeeping when scraped. */
    observeEventStreams(size: () => { streams: number; watches: number; listeners: number }): void {
      streamSource.size = size;
    },
    /** Lets the token pool report its size when scraped. */
    observeTokenPool(size: () => number): void {
      tokenPoolSource.size = size;
    },
    /** Lets the Flinks client report the circuit of each call when scraped. */
    observeCircuits(states: () => Record<string, CircuitStateName>): void {
      circuitSource.states = states;
    },
    /** Lets the Flinks client report its waiting calls when scraped. */
    observeUpstreamQueue(size: () => number): void {
      upstreamQueueSource.size = size;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
