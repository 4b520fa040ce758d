import { EventEmitter } from 'node:events';
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

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

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
    const deadline = startDeadline(options.timeoutMs);
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      try {
        response = await dispatcherFor(origin).request({
          origin,
          path: `${pathPrefix}${exchange.path}`,
          method: exchange.method,
          headers: { 'user-agent': options.userAgent, accept: 'application/json', ...exchange.headers },
          body: exchange.body,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
          signal: deadline.signal,
        });
      } catch (error) {
        throw transportFailure(exchange.step, error);
      }
      text = await readCapped(response, exchange.step, options.maxResponseBytes);
    } finally {
      deadline.clear();
    }
    const durationMs = performance.now() - started;
    const { statusCode } = response;
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

/** The abort signal undici also accepts: an EventEmitter with `aborted` and `reason`. */
type DeadlineSignal = EventEmitter & { aborted: boolean; reason?: unknown };

/**
 * What `AbortSignal.timeout` does, except that the timer is cleared as soon as the exchange ends:
 * `AbortSignal.timeout` keeps each timer (and its signal, through a weak reference) alive for the
 * whole timeout, which under load means tens of thousands of pending timers and extra GC work.
 * The signal is a plain EventEmitter, which undici takes in place of an AbortSignal: an
 * AbortController and its EventTarget listeners cost several times more per call
 * (`npm run bench`, profile).
 */
function startDeadline(ms: number): { signal: DeadlineSignal; clear: () => void } {
  const signal: DeadlineSignal = Object.assign(new EventEmitter(), { aborted: false, reason: undefined });
  const timer = setTimeout(() => {
    signal.aborted = true;
    signal.reason = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    signal.emit('abort');
  }, ms).unref();
  return { signal, clear: () => { clearTimeout(timer); } };
}

function transportFailure(step: UpstreamStep, error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  const isTimeout =
    (error instanceof DOMException && error.name === 'TimeoutError') ||
    (typeof code === 'string' && TIMEOUT_CODES.has(code));
  return isTimeout
    ? new UpstreamTimeoutError(step, { cause: error })
    : new UpstreamRejectedError(step, undefined, { cause: error });
}

/** The body as text, refused past `maxBytes`. Stream events, not `for await`: an async iterator per body cost more than the read. */
function readCapped(response: Dispatcher.ResponseData, step: UpstreamStep, maxBytes: number): Promise<string> {
  const { body } = response;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        body.destroy();
        reject(new UpstreamRejectedError(step, response.statusCode, { cause: new Error(`response larger than ${maxBytes} bytes`) }));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => {
      resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    body.once('error', (error) => {
      reject(transportFailure(step, error));
    });
  });
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
    throw new UpstreamRejectedError(exchange.step, statusCode, { cause: parsed.error });
  }
  return parsed.data;
}
