import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DestinationStream, LoggerOptions } from 'pino';
import { redactionOptions } from './redaction.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** A caller's id is reused only when it is short and plain, so it cannot forge log lines or headers. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's request id when it is sane, else undefined. */
export function saneRequestId(given: unknown): string | undefined {
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : undefined;
}

export function requestIdFor(req: IncomingMessage): string {
  return saneRequestId(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
}

/*
 * Credentials, tokens and the shopper's personal data must never reach a log line, whatever a
 * future log call passes in: a member with one of these names is censored at the top of a line and
 * one or two levels below it (redaction.ts). Fastify's req and res serializers write fixed fields
 * only (no headers), so a request's Authorization or Cookie header never reaches a line.
 */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'password',
  'username',
  // Names are matched exactly (a Set lookup, no lowercasing per member): headers as other code
  // writes them, and the Username/Password form fields of authorize (FLINKS_AUTHORIZE_STYLE).
  'Authorization',
  'proxy-authorization',
  'Proxy-Authorization',
  'Cookie',
  'set-cookie',
  'Set-Cookie',
  'Password',
  'Username',
  'access_token',
  'accessToken',
  'token',
  'customer',
  'firstName',
  'lastName',
  'middleName',
  'email',
  'customerEmail',
  // Flinks v1's one-string name of the account holder (sessions/initiate).
  'customerName',
  'body',
  'intent',
  // Webhook secrets (FLINKS_WEBHOOK_SECRET, MERCHANT_WEBHOOK_SECRET) wherever a config object is logged.
  'secret',
  'secrets',
  // The arguments of a Redis command a Redis error names (err.command.args): the password of an
  // AUTH Redis refused, a record's contents. The command's name stays.
  'args',
];

export function buildLoggerOptions(level: string, stream?: DestinationStream): LoggerOptions & { stream?: DestinationStream } {
  return {
    level,
    ...redactionOptions(SECRET_KEYS),
    ...(stream ? { stream } : {}),
  };
}
