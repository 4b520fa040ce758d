import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DestinationStream, LoggerOptions } from 'pino';

export const REQUEST_ID_HEADER = 'x-request-id';

/** A caller's id is reused only when it is short and plain, so it cannot forge log lines or headers. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/*
 * Credentials, tokens and the shopper's personal data must never reach a log line, whatever a
 * future log call passes in. Paths are listed at the depths where they can occur.
 */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'password',
  'username',
  'access_token',
  'accessToken',
  'token',
  'customer',
  'firstName',
  'lastName',
  'middleName',
  'email',
  'customerEmail',
  'body',
  'intent',
];

const REDACTED_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  ...SECRET_KEYS.map((key) => `*.*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export function buildLoggerOptions(level: string, stream?: DestinationStream): LoggerOptions & { stream?: DestinationStream } {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(stream ? { stream } : {}),
  };
}
