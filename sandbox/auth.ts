import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { SandboxCredentials } from './credentials.js';
import { unauthorized } from './problem.js';
import type { SandboxState, TokenRecord } from './state.js';

/*
 * Header checks shared by the API routes. The sandbox is strict on purpose: Basic only on
 * /authorize, Bearer only elsewhere, so a client that mixes them up fails here, not in production.
 */

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Hash first so the comparison is constant-time whatever the lengths. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * With an instance configured, every v1 call must name it in BaseURI (§2.0: Flinks' own samples
 * send it on v1 calls); missing or different is refused. Without one, the header is not checked.
 */
export function checkInstance(request: FastifyRequest, instance: string | undefined, challenge: 'Basic' | 'Bearer'): void {
  if (instance === undefined) return;
  const sent = header(request, 'baseuri');
  if (sent === undefined) throw unauthorized('The BaseURI header naming this instance is required.', challenge);
  if (sent !== instance) throw unauthorized('The BaseURI header does not match this instance.', challenge);
}

export function requireBasic(request: FastifyRequest, credentials: SandboxCredentials): void {
  const match = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header(request, 'authorization') ?? '');
  if (!match?.[1]) throw unauthorized('Basic authentication with the onboarding credentials is required.', 'Basic');
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const username = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  // Evaluate both comparisons so timing does not reveal which half was wrong.
  const isUserOk = sameSecret(username, credentials.username);
  const isPasswordOk = sameSecret(password, credentials.password);
  if (colon < 0 || !isUserOk || !isPasswordOk) throw unauthorized('Invalid client credentials.', 'Basic');
}

/** Any issued, unexpired token (used or not). */
export function requireBearer(request: FastifyRequest, state: SandboxState): TokenRecord {
  const match = /^Bearer +(\S+)$/i.exec(header(request, 'authorization') ?? '');
  if (!match?.[1]) throw unauthorized('A bearer access token is required.', 'Bearer');
  const token = state.findToken(match[1]);
  if (!token) throw unauthorized('The access token is unknown or expired.', 'Bearer');
  return token;
}
