import { z } from 'zod';
import { isQuoted } from './secret.js';

/*
 * URL settings, judged without ever throwing: `new URL` throws on anything unparsable, and a throw
 * inside the schema would surface as a stack trace quoting the raw value (which may hold a password)
 * instead of one ConfigError line. Every message names a rule, never the value.
 */

/** What a URL setting must be; each problem is the message shown after the setting's name. */
interface UrlRules {
  /** Accepted schemes, with the colon as URL writes them (`https:`). */
  protocols: readonly string[];
  /** The message for anything that is not a URL of those schemes with a host. */
  expected: string;
  /** Set: a user:password@ is refused with this message. Unset: allowed (e.g. a Redis password). */
  credentialsProblem?: string;
  /** Whether a ?query or #fragment is refused. */
  refusesQuery?: boolean;
  /** A further check of the parsed URL (and the text it came from): a message, or undefined when it passes. */
  check?: (url: URL, text: string) => string | undefined;
}

/** The URL `text` names, or undefined when it does not parse. */
function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** The first thing wrong with `text` (already trimmed) as a URL setting; undefined when it is fine. */
function urlProblem(text: string, rules: UrlRules): string | undefined {
  if (isQuoted(text)) return 'expected a URL without surrounding quotes (docker --env-file keeps them; write the value bare)';
  if (/\s/.test(text)) return 'expected a URL without spaces';
  const url = parseUrl(text);
  if (!url || !rules.protocols.includes(url.protocol) || url.hostname === '') return rules.expected;
  if (rules.credentialsProblem !== undefined && (url.username !== '' || url.password !== '')) return rules.credentialsProblem;
  if (rules.refusesQuery === true && /[?#]/.test(text)) return 'expected a URL without query or fragment';
  return rules.check?.(url, text);
}

/**
 * A URL setting, trimmed and judged by `rules`. A base URL drops its trailing slashes (paths are
 * appended to it); any other URL is kept as written.
 */
function urlSchema(rules: UrlRules, isBase = false) {
  return z.string().transform((raw, ctx) => {
    const text = raw.trim();
    const problem = urlProblem(text, rules);
    if (problem === undefined) return isBase ? text.replace(/\/+$/, '') : text;
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  });
}

const HTTP = { protocols: ['http:', 'https:'], expected: 'expected an http(s) URL' } as const;

// A user:password@ would be logged at start and, in FLINKS_APP_URL (FLINKS_BASE_URL by default),
// handed to every shopper in launchUrl.
const FLINKS_URL: UrlRules = {
  ...HTTP,
  credentialsProblem: 'expected a URL without user:password@ (credentials go in FLINKS_USERNAME and FLINKS_PASSWORD)',
  refusesQuery: true,
};

export const FlinksAppUrlSchema = urlSchema(FLINKS_URL, true);

// The client appends /api/v1/...; Flinks answers the doubled path with 404, which /ready could only
// report as "not answering".
export const FlinksBaseUrlSchema = urlSchema(
  {
    ...FLINKS_URL,
    check: (url) => (/\/api\/v[12]\/*$/i.test(url.pathname) ? 'expected the base without /api/v1 or /api/v2 (`/api/v1/...` is appended)' : undefined),
  },
  true,
);

/*
 * Neither URL ever sends a user:password@: fetch (which jose reads the key set with) refuses such a
 * URL with an error that quotes it, logged at start; undici drops them from a webhook delivery
 * without a word. So they could only leak.
 */
export const JwksUrlSchema = urlSchema({
  ...HTTP,
  credentialsProblem: 'expected a URL without user:password@ (fetch never sends them, and its error would log them)',
});
export const MerchantWebhookUrlSchema = urlSchema({
  ...HTTP,
  credentialsProblem: 'expected a URL without user:password@ (never sent; the webhook-signature header authenticates each delivery)',
});

/** Whether `text` is valid percent-encoding (decodeURIComponent does not throw on it). */
function isPercentEncoded(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

// ioredis takes the password from the URL (redis://:password@host), so credentials stay allowed. It
// decodes them with decodeURIComponent, which throws on a stray % (a stack trace at start instead of
// this line): such a password must be written percent-encoded (% as %25).
//
// ioredis selects the database the path (or ?db=) names when it connects, and a number Redis does not
// have fails that select while the connection goes on in database 0: a name that is not a number
// stopped start-up with a stack trace, one out of range left the queues failing behind a ready
// instance. Redis has databases 0-15 unless configured otherwise.
const REDIS_DATABASE = /^(?:[0-9]|1[0-5])$/;

function redisUrlProblem(url: URL): string | undefined {
  if (!(isPercentEncoded(url.username) && isPercentEncoded(url.password))) return 'expected the user name and password percent-encoded (write % as %25)';
  const path = url.pathname.replace(/^\//, '');
  const database = url.searchParams.get('db');
  if ((path !== '' && !REDIS_DATABASE.test(path)) || (database !== null && !REDIS_DATABASE.test(database))) {
    return 'expected a database number from 0 to 15 after the host, if any (redis://host:6379/0)';
  }
  return undefined;
}

export const RedisUrlSchema = urlSchema({
  protocols: ['redis:', 'rediss:'],
  expected: 'expected a redis:// or rediss:// URL with a host',
  check: redisUrlProblem,
});

const ORIGIN: UrlRules = {
  ...HTTP,
  expected: 'expected comma-separated http(s) origins such as https://shop.example',
  // Compared as written: browsers send the origin in this exact form.
  check: (url, text) => (text.replace(/\/$/, '') === url.origin ? undefined : 'expected origins without path, query or fragment'),
};

/** An origin as browsers send it: scheme://host[:port], nothing after (a lone trailing slash is dropped). */
export const OriginSchema = z
  .string()
  // Browsers send one exact origin; https://*.shop.example would never match it.
  .refine((text) => !text.includes('*'), { message: 'wildcards are not supported; list each origin', abort: true })
  .pipe(urlSchema(ORIGIN))
  .transform((text) => text.replace(/\/$/, ''));
