import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { invalid, unsupportedMediaType } from './problem.js';
import type { Parsed } from './wire.js';

/*
 * The plugin's only content-type parser hands every body over as raw text (see sandbox-plugin.ts),
 * so the exact bytes can be recorded and the amount literal inspected. These helpers turn that text
 * into validated values, with the status codes a strict API would use.
 */

export interface JsonBody {
  /** The body exactly as sent. */
  text: string;
  /** Its JSON.parse result. */
  parsed: unknown;
}

export function rawBodyOf(request: FastifyRequest): string {
  return typeof request.body === 'string' ? request.body : '';
}

function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** The value, or a 400 ValidationProblemDetails naming every bad field. */
export function valueOf<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw invalid(parsed.errors);
  return parsed.value;
}

/** For the app page's own endpoints, whose zod schemas carry their own messages. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: Record<string, string[]> = {};
  for (const issue of result.error.issues) {
    (errors[issue.path.length > 0 ? issue.path.map(String).join('.') : '$'] ??= []).push(issue.message);
  }
  throw invalid(errors);
}

export function readForm(request: FastifyRequest): URLSearchParams {
  if (mediaType(request) !== 'application/x-www-form-urlencoded') {
    throw unsupportedMediaType('Content-Type must be application/x-www-form-urlencoded.');
  }
  return new URLSearchParams(rawBodyOf(request));
}

export function readJson(request: FastifyRequest): JsonBody {
  if (mediaType(request) !== 'application/json') throw unsupportedMediaType('Content-Type must be application/json.');
  const text = rawBodyOf(request);
  try {
    return { text, parsed: JSON.parse(text) as unknown };
  } catch {
    throw invalid({ $: ['The request body is not valid JSON.'] }, 'The request body is not valid JSON.');
  }
}
