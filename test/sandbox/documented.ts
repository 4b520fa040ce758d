import { PAYMENT_STATUSES } from '../fixtures/flinks-pay-v1.js';

/*
 * "Parses as the documented sample": the same property names as the sample in
 * shared/flinks-pay-api.md, each value of the sample's JSON type, and the formats the doc states
 * (a GUID where the sample has one, `bearer`, a positive whole `expires_in`, a documented status).
 * Deliberately written from the fixtures, never from the BFF client's schemas.
 */

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isString = (value: unknown): value is string => typeof value === 'string';

const RULES: Record<string, (value: unknown) => boolean> = {
  token_type: (value) => isString(value) && /^bearer$/i.test(value),
  expires_in: (value) => Number.isInteger(value) && (value as number) > 0,
  status: (value) => isString(value) && (PAYMENT_STATUSES as readonly string[]).includes(value),
  // §2.4/§5: the link to the app, `https://{BaseURL}/app/?sessionId={sessionId}`: an absolute URL.
  PaymentLink: (value) => isString(value) && isAppLink(value),
};

function isAppLink(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return /^https?:$/.test(url.protocol) && url.pathname.endsWith('/app/') && GUID.test(url.searchParams.get('sessionId') ?? '');
}

function fits(sample: unknown, value: unknown, key: string): boolean {
  const rule = RULES[key];
  if (rule) return rule(value);
  if (isString(sample)) return isString(value) && value !== '' && (!GUID.test(sample) || GUID.test(value));
  return typeof value === typeof sample;
}

/** Every mismatch between `value` and the documented `sample`; empty when it conforms. */
export function mismatches(sample: Record<string, unknown>, value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return ['not a JSON object'];
  const body = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(sample)) {
    if (!(key in body)) problems.push(`missing ${key}`);
    else if (!fits(sample[key], body[key], key)) problems.push(`${key}: ${JSON.stringify(body[key])}`);
  }
  for (const key of Object.keys(body)) if (!(key in sample)) problems.push(`not in the sample: ${key}`);
  return problems;
}
