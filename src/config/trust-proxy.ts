import { isIP } from 'node:net';

/** Which proxies' `X-Forwarded-*` headers to believe, in the forms Fastify's `trustProxy` takes. */
export type TrustProxy = boolean | number | string[];

export const TRUST_PROXY_PROBLEM = 'expected true, false, a hop count such as 1, or comma-separated proxy addresses or CIDRs such as 10.0.0.0/8,127.0.0.1';

/** proxy-addr's (and so Fastify's) names for the private ranges. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * `true` trusts any sender (anyone who reaches the port directly then picks their own client
 * address), a hop count trusts that many proxies in front of this service, and a list trusts
 * those addresses only. `0` is `false`, as it always was; `1` is now one hop.
 */
export function parseTrustProxy(text: string): TrustProxy | undefined {
  const value = text.trim();
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d{1,2}$/.test(value)) return Number(value) === 0 ? false : Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  return entries.every(isProxyAddress) ? entries : undefined;
}

/**
 * The setting as Fastify's `trustProxy` takes it. Fastify 5.12 no longer honours a bare hop count
 * (it then trusts nobody), so a count becomes the trust function Fastify used to build from it:
 * the nearest `hops` proxies are believed. That is safe only when clients cannot reach this port
 * except through them; addresses are the stricter choice where they are known.
 */
export function toFastifyTrustProxy(trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust !== 'number') return trust;
  return (_address, hop) => hop < trust;
}
