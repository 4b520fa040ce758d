import { REQUEST_ID_PATTERN } from '../upstream/flinks-pay/schemas.js';

/*
 * Flinks does not publish the e-Transfer webhook payload, so an event is read as a hint: it names
 * a payment request somewhere, under one of the names Flinks uses elsewhere. The status it may
 * carry is never used: only a read from Flinks says what the status is.
 */

const REQUEST_ID_KEYS = new Set(['requestid', 'paymentrequestid']);
const REFERENCE_KEYS = new Set(['referenceid']);
const MAX_DEPTH = 3;
const MAX_CANDIDATES = 5;
const REFERENCE_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

export interface EventNames {
  /** Possible payment request ids, most specific first (requestId before a bare id). */
  requestIds: string[];
  referenceIds: string[];
}

/** The ids an event names, breadth-first over nested objects, keys compared case-insensitively. */
export function namesInEvent(body: unknown): EventNames {
  const explicit: string[] = [];
  const bare: string[] = [];
  const references: string[] = [];
  let level: unknown[] = [body];
  for (let depth = 0; depth < MAX_DEPTH && level.length > 0; depth += 1) {
    const next: unknown[] = [];
    for (const node of level) {
      if (node === null || typeof node !== 'object') continue;
      for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
        const name = key.toLowerCase();
        if (typeof value === 'string') {
          if (REQUEST_ID_KEYS.has(name) && REQUEST_ID_PATTERN.test(value)) explicit.push(value);
          else if (name === 'id' && REQUEST_ID_PATTERN.test(value)) bare.push(value);
          else if (REFERENCE_KEYS.has(name) && REFERENCE_PATTERN.test(value)) references.push(value);
        } else if (value !== null && typeof value === 'object') {
          next.push(...(Array.isArray(value) ? (value as unknown[]).slice(0, 10) : [value]));
        }
      }
    }
    level = next;
  }
  const unique = (ids: string[]) => [...new Set(ids)].slice(0, MAX_CANDIDATES);
  return { requestIds: unique([...explicit, ...bare]), referenceIds: unique(references) };
}
