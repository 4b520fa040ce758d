// autocannon ships no types; this is the slice of its programmatic API the benchmark uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface Options {
    url: string;
    connections: number;
    duration: number;
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    body?: string;
    idReplacement?: boolean;
    /** Requests cycled through by every connection; setupRequest may change each one before it is sent. */
    requests?: { setupRequest?: (request: { path: string }) => { path: string } }[];
  }

  interface Result {
    errors: number;
    timeouts: number;
    non2xx: number;
  }

  /** Emits `response` (client, statusCode, bytes, milliseconds) and resolves with the totals. */
  type Instance = EventEmitter & PromiseLike<Result>;

  function autocannon(options: Options): Instance;
  export = autocannon;
}
