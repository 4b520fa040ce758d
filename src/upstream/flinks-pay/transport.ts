import { Pool, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { UpstreamRejectedError, UpstreamTimeoutError, type UpstreamStep } from '../../errors/app-errors.js';

/*
 * One HTTP exchange with Flinks: bounded in time and size, never following redirects, and turning
 * every failure into a typed error. The body Flinks sent is never surfaced beyond this module.
 */

export interface TransportOptions {
  /** Base URL including any path prefix; a function when it is only known after listen (embedded sandbox). */
  baseUrl: string | (() => string);
  timeoutMs: number;
  connections: number;
  maxResponseBytes: number;
  userAgent: string;
  /** Replaces the keep-alive pools, e.g. with undici's MockAgent in tests. */
  dispatcher?: Dispatcher;
  /** Told the shape of every response that was read in full; not computed at all when unset. */
  inspect?: (response: ResponseShape) => void;
}

/**
 * What a response looked like, for diagnostics (`npm run flinks:check`): names only, never a value,
 * so nothing Flinks sent (a token, a customer's data) can travel further than this module.
 */
export interface ResponseShape {
  step: UpstreamStep;
  statusCode: number;
  /** Top-level member names of a JSON object body, as sent; empty for any other body. */
  fields: string[];
  /** The field names under `errors` when the body is an ASP.NET ValidationProblemDetails. */
  problemFields?: string[];
  /** An error answer (non-2xx) that names the BaseURI header, i.e. the instance it was sent for. */
  mentionsBaseUri: boolean;
}

export interface Exchange<T> {
  step: UpstreamStep;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  schema: z.ZodType<T>;
  /**
   * Checks a well-formed answer against what was asked (e.g. that it is about the payment request
   * that was read): a reason makes it an unusable answer, like a malformed one.
   */
  refuse?: (value: T) => string | undefined;
  /** Statuses answered with `undefined` instead of an error (e.g. 404 on a lookup). */
  absentOn?: readonly number[];
}

export interface ExchangeResult<T> {
  value: T | undefined;
  statusCode: number;
  durationMs: number;
}

export interface Transport {
  send<T>(exchange: Exchange<T>): Promise<ExchangeResult<T>>;
  close(): Promise<void>;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function createTransport(options: TransportOptions): Transport {
  const pools = new Map<string, Pool>();
  const resolveBase = typeof options.baseUrl === 'function' ? options.baseUrl : () => options.baseUrl as string;
  let parsedBase: { text: string; origin: string; pathPrefix: string } | undefined;

  /** The base URL, parsed again only when it changes (it is a constant outside the embedded sandbox). */
  function currentBase() {
    const text = resolveBase();
    if (parsedBase?.text !== text) {
      const url = new URL(text);
      parsedBase = { text, origin: url.origin, pathPrefix: url.pathname.replace(/\/$/, '') };
    }
    return parsedBase;
  }

  function dispatcherFor(origin: string): Dispatcher {
    if (options.dispatcher) return options.dispatcher;
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: options.connections,
        pipelining: 1,
        connect: { timeout: options.timeoutMs },
        keepAliveTimeout: 30_000,
      });
      pools.set(origin, pool);
    }
    return pool;
  }

  async function send<T>(exchange: Exchange<T>): Promise<ExchangeResult<T>> {
    const { origin, pathPrefix } = currentBase();
    const started = performance.now();
    const { statusCode, text } = await new Promise<RawResponse>((resolve, reject) => {
      const collector = new ResponseCollector(exchange.step, options, resolve, reject);
      dispatcherFor(origin).dispatch(
        {
          origin,
          path: `${pathPrefix}${exchange.path}`,
          method: exchange.method,
          headers: { 'user-agent': options.userAgent, accept: 'application/json', ...exchange.headers },
          body: exchange.body,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        },
        collector,
      );
    });
    const durationMs = performance.now() - started;
    options.inspect?.(shapeOf(exchange.step, statusCode, text));
    if (exchange.absentOn?.includes(statusCode)) return { value: undefined, statusCode, durationMs };
    if (statusCode < 200 || statusCode > 299) {
      throw new UpstreamRejectedError(exchange.step, statusCode, { cause: new Error(`HTTP ${statusCode}`) });
    }
    return { value: parseBody(exchange, text, statusCode), statusCode, durationMs };
  }

  return {
    send,
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      pools.clear();
    },
  };
}

interface RawResponse {
  statusCode: number;
  text: string;
}

/**
 * Collects one response straight from undici's dispatch callbacks, bounded by a deadline and a size
 * cap. `pool.request` would wrap the same callbacks in a request handler, an async resource and a
 * readable stream per call, only for this module to read the stream back into one string: CPU per
 * call measured 26 against 15 µs in a microbenchmark against a local server (A/B in `npm run bench`:
 * status reads × 1.12).
 *
 * The deadline covers the whole exchange, the wait for a free pooled connection included, which
 * undici's own headers and body timeouts do not: the call fails at its deadline even while queued,
 * and a queued request is aborted as soon as undici starts it.
 */
class ResponseCollector implements Dispatcher.DispatchHandler {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private statusCode = 0;
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  private readonly deadline: NodeJS.Timeout;

  constructor(
    private readonly step: UpstreamStep,
    private readonly limits: Pick<TransportOptions, 'timeoutMs' | 'maxResponseBytes'>,
    private readonly resolve: (response: RawResponse) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.deadline = setTimeout(() => {
      this.fail(new UpstreamTimeoutError(step, { cause: new Error(`no answer within ${limits.timeoutMs} ms`) }));
    }, limits.timeoutMs).unref();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(new Error('the exchange already failed'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.statusCode = statusCode;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.limits.maxResponseBytes) {
      const tooLarge = new Error(`response larger than ${this.limits.maxResponseBytes} bytes`);
      this.fail(new UpstreamRejectedError(this.step, this.statusCode, { cause: tooLarge }));
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.deadline);
    const { chunks } = this;
    const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
    this.resolve({ statusCode: this.statusCode, text });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.fail(transportFailure(this.step, error));
  }

  /** Settles the exchange with `error` once, and stops the request if undici has started it. */
  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.deadline);
    this.reject(error);
    this.controller?.abort(error);
  }
}

function transportFailure(step: UpstreamStep, error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  const isTimeout = typeof code === 'string' && TIMEOUT_CODES.has(code);
  return isTimeout ? new UpstreamTimeoutError(step, { cause: error }) : new UpstreamRejectedError(step, undefined, { cause: error });
}

function shapeOf(step: UpstreamStep, statusCode: number, text: string): ResponseShape {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const body = isJsonObject(json) ? json : undefined;
  const errors = body?.errors;
  return {
    step,
    statusCode,
    fields: body ? Object.keys(body) : [],
    ...(isJsonObject(errors) ? { problemFields: Object.keys(errors) } : {}),
    mentionsBaseUri: (statusCode < 200 || statusCode > 299) && /baseuri/i.test(text),
  };
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseBody<T>(exchange: Exchange<T>, text: string, statusCode: number): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the body, which may hold a token: keep only the fact.
    throw new UpstreamRejectedError(exchange.step, statusCode, { cause: new Error('body is not JSON') });
  }
  const parsed = exchange.schema.safeParse(json);
  if (!parsed.success) {
    throw new UpstreamRejectedError(exchange.step, statusCode, { cause: parsed.error, aboutThisCall: true });
  }
  const refusal = exchange.refuse?.(parsed.data);
  if (refusal !== undefined) throw new UpstreamRejectedError(exchange.step, statusCode, { cause: new Error(refusal), aboutThisCall: true });
  return parsed.data;
}
