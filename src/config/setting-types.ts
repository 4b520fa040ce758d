import { isIP } from 'node:net';
import { parse as parseDuration } from '@lukeed/ms';
import { z } from 'zod';
import { isQuoted, QUOTED_SECRET } from './secret.js';
import { parseTrustProxy, TRUST_PROXY_PROBLEM } from './trust-proxy.js';
import { OriginSchema } from './urls.js';

/*
 * The kinds of setting the environment schema (env-schema.ts) is written in. Each reads the text
 * of an env file the way an operator means it (blank is unset), and a refusal names what was
 * expected without repeating a secret.
 */

/** Blank values count as unset, so `PORT=` in an env file means the default. */
export const emptyAsUndefined = (value: unknown): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

export const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());

/**
 * A secret as written in an env file: surrounding whitespace dropped (one stray space would make
 * every signature or authorize fail, with nothing said at start), and refused when quoted.
 */
const SecretTextSchema = z
  .string()
  .transform((text) => text.trim())
  .refine((text) => !isQuoted(text), { message: QUOTED_SECRET, abort: true });

/** An optional secret setting (blank is unset), further checked by `rules`. */
export const optionalSecret = <T extends z.ZodType<unknown, string>>(rules: T) => z.preprocess(emptyAsUndefined, SecretTextSchema.pipe(rules).optional());

/** A URL setting (config/urls.ts): blank means unset. */
export const optionalUrl = <T extends z.ZodType>(schema: T) => z.preprocess(emptyAsUndefined, schema.optional());

export const flag = (fallback: 'true' | 'false') =>
  z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
      .default(fallback)
      .transform((value) => value === 'true' || value === '1'),
  );

export const booleanFlag = flag('false');

const wholeNumber = (min: number, max: number) => {
  const error = `expected a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\s*\d{1,10}\s*$/, error)
    .transform(Number)
    .pipe(z.number().min(min, error).max(max, error));
};

export const integer = (min: number, max: number, fallback: number) => z.preprocess(emptyAsUndefined, wholeNumber(min, max).default(fallback));

export const optionalInteger = (min: number, max: number) => z.preprocess(emptyAsUndefined, wholeNumber(min, max).optional());

/**
 * A duration in words or, as a bare number, in milliseconds (@lukeed/ms: "60000" is a minute), of
 * at least a second: a rate-limit window of 1 ms would let every client through.
 */
export const duration = (fallback: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default(fallback)
      .transform((text, ctx) => {
        const ms = parseDuration(text.trim());
        if (ms === undefined || !Number.isSafeInteger(ms) || ms < 1000) {
          ctx.addIssue({ code: 'custom', message: 'expected at least 1 second, such as "1 minute", "30s" or 60000 (a bare number is milliseconds)' });
          return z.NEVER;
        }
        return ms;
      }),
  );

export const originList = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(OriginSchema)),
);

/** A Standard Webhooks secret: `whsec_` and the base64 of 24 to 64 random bytes. */
export const webhookSecret = optionalSecret(
  z.string().refine((text) => {
    const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(text);
    const bytes = match?.[1] === undefined ? 0 : Buffer.from(match[1], 'base64').length;
    return bytes >= 24 && bytes <= 64;
  }, 'expected whsec_ followed by the base64 of 24 to 64 random bytes'),
);

const HOST_PROBLEM = 'expected an IP address (0.0.0.0 for every interface, :: for IPv6 too) or a host name';

/** An IP address, or a host name (RFC 1123) whose last label is not all digits (999.1.1.1 is no name). */
function isListenHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  const labels = host.split('.');
  return host.length <= 253 && labels.every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label)) && !/^\d+$/.test(labels.at(-1) ?? '');
}

/** Where the service listens: 0.0.0.0 by default. */
export const listenHost = z.preprocess(emptyAsUndefined, z.string().default('0.0.0.0').refine(isListenHost, HOST_PROBLEM));

/** TRUST_PROXY (config/trust-proxy.ts): false, true, a hop count or proxy addresses. */
export const trustProxy = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .default('false')
    .transform((text, ctx) => {
      const trust = parseTrustProxy(text);
      if (trust === undefined) {
        ctx.addIssue({ code: 'custom', message: TRUST_PROXY_PROBLEM });
        return z.NEVER;
      }
      return trust;
    }),
);

/**
 * Bearer secrets of the operations API, comma-separated (two during a rotation). Each long enough
 * that guessing is hopeless; the message never repeats a value. Set but holding no token (`,,,`)
 * is a mistake, not a way to switch the API off.
 */
export const opsTokens = z.preprocess(
  emptyAsUndefined,
  SecretTextSchema.transform((text) =>
    text
      .split(',')
      .map((token) => token.trim())
      .filter(Boolean),
  )
    .refine((tokens) => tokens.length > 0, 'set but holding no token (only commas or spaces); unset it to switch the operations API off')
    .refine(
      (tokens) => tokens.every((token) => token.length >= 32 && /^[\x21-\x7e]+$/.test(token)),
      'expected comma-separated tokens of at least 32 visible ASCII characters each; generate one with `openssl rand -base64 32`',
    )
    .default([]),
);
