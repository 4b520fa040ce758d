import type { FastifyRequest } from 'fastify';
import { stdSerializers, type LoggerOptions } from 'pino';

const CENSOR = '[redacted]';

/** Keys whose serializer emits fixed fields only (Fastify's req and res: method, url, statusCode...). */
const FIXED_SHAPE_KEYS = new Set(['req', 'res']);

type Json = Record<string, unknown>;

/**
 * Censors, in a log line, every member named in `secretKeys` at the top level and one or two
 * levels below it: what pino's `redact` does with the paths `K`, `*.K` and `*.*.K`, at a fraction
 * of its cost. pino applies a path list that starts with `*` to every member of every line and
 * every child logger's bindings, parsing each path on each call (measured with `npm run bench`:
 * about a tenth of a checkout's CPU at LOG_LEVEL=info). Here a top-level member with a secret
 * name has a serializer that censors it (in lines and in child bindings alike); the members below
 * are walked once per line, names looked up in a Set, and nothing is copied unless something is
 * censored, so the caller's objects are never changed. Errors are censored after pino's error
 * serializer, as before. Child bindings are checked at their top level only: they hold ids.
 */
export function redactionOptions(secretKeys: readonly string[]): Pick<LoggerOptions, 'formatters' | 'serializers'> {
  const secret = new Set(secretKeys);

  /** `value` with secret members `levels` deep censored; the same object when there are none. */
  function censorBelow(value: unknown, levels: number): unknown {
    if (levels === 0 || value === null || typeof value !== 'object') return value;
    const source = value as Json;
    let copy: Json | undefined;
    for (const key in source) {
      if (!Object.hasOwn(source, key)) continue;
      const member = source[key];
      const censored = secret.has(key) ? CENSOR : censorBelow(member, levels - 1);
      if (censored === member) continue;
      // Same prototype, so a copy serialises like the original (arrays stay arrays).
      copy ??= Array.isArray(source)
        ? ([...(source as unknown[])] as unknown as Json)
        : Object.assign(Object.create(Object.getPrototypeOf(source) as object | null) as Json, source);
      copy[key] = censored;
    }
    return copy ?? value;
  }

  /** A line's own members two levels deep (the top level is the serializers' job). */
  function censorLine(line: Json): Json {
    let copy: Json | undefined;
    for (const key in line) {
      if (!Object.hasOwn(line, key) || serialized.has(key)) continue;
      const member = line[key];
      const censored = censorBelow(member, 2);
      if (censored === member) continue;
      copy ??= { ...line };
      copy[key] = censored;
    }
    return copy ?? line;
  }

  const censorMember = () => CENSOR;
  const serializers: Record<string, (value: never) => unknown> = Object.fromEntries(secretKeys.map((key) => [key, censorMember]));
  const serialized = new Set([...FIXED_SHAPE_KEYS, 'err', ...secretKeys]);
  return {
    formatters: { log: censorLine },
    serializers: { ...serializers, req: requestFields, err: (error: Error) => censorBelow(stdSerializers.err(error), 2) },
  };
}

/**
 * The request as an access line shows it: the fields of Fastify's own serializer (which it does not
 * export), with the query censored.
 */
function requestFields(request: FastifyRequest) {
  return {
    method: request.method,
    url: censorQuery(request.url),
    version: request.headers['accept-version'],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket.remotePort,
  };
}

/**
 * Query parameters whose value a log line may show: the ones a route reads (the operations
 * console's filters and cursor), none of them a secret. No route takes a credential from the query,
 * but a client may put its token there (`?access_token=`, `?pw=`, `?t=`, the way some APIs take it):
 * whatever the name, the value of any other parameter is censored.
 */
const SHOWN_QUERY_NAMES: ReadonlySet<string> = new Set(['referenceId', 'status', 'cursor']);

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}

/** `url` with every query item censored but the shown parameters' values: a name stays, unless it is all the item is (`?s3cr3t`). */
function censorQuery(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  // Items are separated by `&`, or the older `;`; split() keeps the separators at odd indexes.
  const query = url
    .slice(start + 1)
    .split(/([&;])/)
    .map((item, index) => {
      if (index % 2 === 1 || item === '') return item;
      const equals = item.indexOf('=');
      if (equals === -1) return CENSOR;
      const name = item.slice(0, equals);
      return SHOWN_QUERY_NAMES.has(decodedName(name)) ? item : `${name}=${CENSOR}`;
    })
    .join('');
  return `${url.slice(0, start + 1)}${query}`;
}
