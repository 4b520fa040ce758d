import autocannon from 'autocannon';

/** What one measured run produced: latencies of the successful operations, in milliseconds. */
export interface Sample {
  durationsMs: number[];
  errors: number;
  elapsedS: number;
}

/** Runs load at `connections` for `seconds`; warm-ups are runs whose sample is dropped. */
export type Driver = (connections: number, seconds: number) => Promise<Sample>;

/**
 * A closed loop of `connections` virtual users, each running `operation` again as soon as it
 * finishes (the floor's driver: no HTTP server in front, so no autocannon).
 */
export function closedLoop(operation: () => Promise<void>): Driver {
  return async (connections, seconds) => {
    const durationsMs: number[] = [];
    let errors = 0;
    const started = performance.now();
    const end = started + seconds * 1000;
    async function user(): Promise<void> {
      while (performance.now() < end) {
        const at = performance.now();
        try {
          await operation();
          durationsMs.push(performance.now() - at);
        } catch {
          errors++;
        }
      }
    }
    await Promise.all(Array.from({ length: connections }, user));
    return { durationsMs, errors, elapsedS: (performance.now() - started) / 1000 };
  };
}

export interface HttpTarget {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Replace every `[<id>]` in the request with a fresh id each time (autocannon's idReplacement). */
  idReplacement?: boolean;
  /**
   * Paths taken in turn by successive requests across all connections (instead of the URL's), so
   * requests in flight at once name different resources: status reads of one checkout would share
   * one upstream call in the service (single flight) but not in the minimal BFF.
   */
  paths?: readonly string[];
}

/** autocannon against the BFF; latencies come from its per-response event, in fractional ms. */
export function autocannonLoad(target: HttpTarget): Driver {
  return async (connections, seconds) => {
    const durationsMs: number[] = [];
    const started = performance.now();
    const { paths, ...options } = target;
    let turn = 0;
    const requests = paths
      ? [{ setupRequest: (request: { path: string }) => ({ ...request, path: paths[turn++ % paths.length] ?? request.path }) }]
      : undefined;
    const instance = autocannon({ ...options, ...(requests ? { requests } : {}), connections, duration: seconds });
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, ms: number) => {
      if (statusCode >= 200 && statusCode < 300) durationsMs.push(ms);
    });
    const result = await instance;
    return { durationsMs, errors: result.errors + result.non2xx, elapsedS: (performance.now() - started) / 1000 };
  };
}
