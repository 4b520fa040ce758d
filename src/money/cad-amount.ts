/*
 * CAD amounts are handled as decimal strings end to end: parsed by pattern, compared digit by
 * digit, and written into upstream JSON as a literal. No value ever passes through float
 * arithmetic, so 19.99 stays 19.99.
 */

export const MAX_AMOUNT = '1000000.00';

// Any number of whole digits: 12345678 is an amount too large, not one badly written.
const DECIMAL_PATTERN = /^(0|[1-9]\d*)(?:\.(\d{1,2}))?$/;

export type CadAmountProblem = 'format' | 'zero' | 'too-large';

/** Canonical form: integer part without leading zeros, exactly two decimals ("25.5" → "25.50"). */
export type CanonicalAmount = string & { readonly __brand: 'CanonicalAmount' };

export type ParsedAmount = { ok: true; amount: CanonicalAmount } | { ok: false; problem: CadAmountProblem };

/** A string is judged as written, like a number's literal: " 25 " is no amount, whatever it was meant as. */
export function parseCadAmount(input: string | number): ParsedAmount {
  const text = typeof input === 'number' ? numberToPlainText(input) : input;
  const match = text === undefined ? null : DECIMAL_PATTERN.exec(text);
  if (!match) return { ok: false, problem: 'format' };
  const whole = match[1] ?? '0';
  const cents = (match[2] ?? '').padEnd(2, '0');
  const canonical = `${whole}.${cents}`;
  if (canonical === '0.00') return { ok: false, problem: 'zero' };
  if (compareCanonical(canonical, MAX_AMOUNT) > 0) return { ok: false, problem: 'too-large' };
  return { ok: true, amount: canonical as CanonicalAmount };
}

/**
 * A JSON number reaches us already parsed; its shortest round-trip text ("19.99") is the
 * decimal the client wrote for every value this schema accepts (at most 9 significant digits).
 * From 1e21 up, JavaScript writes a number with an exponent: such a whole number is written out
 * in full, to be judged too large like any other.
 */
function numberToPlainText(value: number): string | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  const text = String(value);
  if (!/e/i.test(text)) return text;
  return value >= 1e21 ? BigInt(value).toString() : undefined;
}

function compareCanonical(a: string, b: string): number {
  const [aWhole = '', aCents = ''] = a.split('.');
  const [bWhole = '', bCents = ''] = b.split('.');
  if (aWhole.length !== bWhole.length) return aWhole.length - bWhole.length;
  if (aWhole !== bWhole) return aWhole < bWhole ? -1 : 1;
  if (aCents === bCents) return 0;
  return aCents < bCents ? -1 : 1;
}

/** True when a JSON number literal has at most two decimals and no exponent. */
export function isTwoDecimalLiteral(literal: string): boolean {
  return /^-?(0|[1-9]\d*)(\.\d{1,2})?$/.test(literal);
}
