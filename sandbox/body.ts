import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { badRequest, unsupportedMediaType } from './problem.js';

/*
 * The plugin's only content-type parser hands every body over as raw text (see sandbox-plugin.ts),
 * so the exact bytes can be recorded and the amount literal inspected. These helpers turn that text
 * into validated values, with the status codes a strict API would use.
 */

export function rawBodyOf(request: FastifyRequest): string {
  return typeof request.body === 'string' ? request.body : '';
}

function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function zodErrors(error: z.ZodError): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '$';
    (errors[key] ??= []).push(issue.message);
  }
  return errors;
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest('One or more validation errors occurred.', zodErrors(result.error));
  return result.data;
}

export function readForm(request: FastifyRequest): Record<string, string> {
  if (mediaType(request) !== 'application/x-www-form-urlencoded') {
    throw unsupportedMediaType('Content-Type must be application/x-www-form-urlencoded.');
  }
  return Object.fromEntries(new URLSearchParams(rawBodyOf(request)));
}

export function readJson(request: FastifyRequest): unknown {
  if (mediaType(request) !== 'application/json') throw unsupportedMediaType('Content-Type must be application/json.');
  try {
    return JSON.parse(rawBodyOf(request)) as unknown;
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
}

const WHITESPACE = /[ \t\n\r]*/y;
// Only run on text JSON.parse already accepted, so control characters need no special case.
const STRING = /"(?:[^"\\]|\\.)*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * The literal text of the top-level `amount` member of a flat JSON object, or undefined.
 * Node 20 has no JSON.parse source-text access, so this walks the tokens itself; keys are decoded
 * (so "\u0061mount" counts) and the last duplicate wins, exactly as JSON.parse does.
 */
export function amountLiteral(json: string): string | undefined {
  let at = 0;
  const take = (pattern: RegExp): string | undefined => {
    WHITESPACE.lastIndex = at;
    WHITESPACE.exec(json);
    pattern.lastIndex = WHITESPACE.lastIndex;
    const match = pattern.exec(json);
    if (match) at = pattern.lastIndex;
    return match?.[0];
  };
  const punct = (char: string): boolean => take(new RegExp(`\\${char}`, 'y')) !== undefined;

  let found: string | undefined;
  if (!punct('{')) return undefined;
  for (;;) {
    const key = take(STRING);
    if (key === undefined || !punct(':')) return undefined;
    const value = take(STRING) ?? take(NUMBER);
    if (value === undefined) return undefined;
    if ((JSON.parse(key) as unknown) === 'amount') found = value;
    if (punct('}')) return found;
    if (!punct(',')) return undefined;
  }
}
