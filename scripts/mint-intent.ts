/*
 * npm run -s intent -- --amount 12.34 --reference order-1 [--ttl 10m] [--jti <id>]
 *
 * Prints a checkout intent signed (HS256) with CHECKOUT_SIGNING_SECRET, for local testing: what a
 * merchant's backend hands its front end. The token goes to stdout alone, details to stderr.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ReferenceIdSchema } from '../src/checkout/schemas.js';
import { parse as parseDuration } from '@lukeed/ms';
import { JtiSchema, MAX_INTENT_LIFETIME_S } from '../src/intents/claims.js';
import { DEFAULT_INTENT_TTL_S, mintIntent } from '../src/intents/mint.js';
import { isLongEnoughSecret, SECRET_TOO_SHORT } from '../src/config/secret.js';
import { parseCadAmount } from '../src/money/cad-amount.js';

const USAGE = 'usage: npm run -s intent -- --amount 12.34 [--reference order-1] [--ttl 10m] [--jti <id>]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

/** "600" (seconds), "10m", "90s"; at most the 15 minutes the BFF accepts. */
function ttlSeconds(text: string | undefined): number {
  if (text === undefined) return DEFAULT_INTENT_TTL_S;
  const seconds = /^\s*\d+\s*$/.test(text) ? Number(text) : (parseDuration(text.trim()) ?? NaN) / 1000;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_INTENT_LIFETIME_S) {
    fail(`--ttl: expected 1 to ${MAX_INTENT_LIFETIME_S} seconds, e.g. 600 or 10m`);
  }
  return seconds;
}

let args;
try {
  args = parseArgs({
    options: {
      amount: { type: 'string' },
      reference: { type: 'string' },
      ttl: { type: 'string' },
      jti: { type: 'string' },
    },
    strict: true,
  }).values;
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

const secret = process.env.CHECKOUT_SIGNING_SECRET ?? '';
if (secret === '') fail('CHECKOUT_SIGNING_SECRET is not set: use the same secret as the BFF.');
if (!isLongEnoughSecret(secret)) fail(`CHECKOUT_SIGNING_SECRET ${SECRET_TOO_SHORT}`);

if (args.amount === undefined) fail('--amount is required');
const amount = parseCadAmount(args.amount);
if (!amount.ok) fail(`--amount: "${args.amount}" is not a positive CAD amount with at most 2 decimals (max 1000000.00)`);

const referenceId = ReferenceIdSchema.safeParse(args.reference ?? `order-${randomUUID().slice(0, 8)}`);
if (!referenceId.success) fail('--reference: expected 1-64 characters of A-Z a-z 0-9 . _ -');

const ttl = ttlSeconds(args.ttl);
const jti = JtiSchema.safeParse(args.jti ?? randomUUID());
if (!jti.success) fail('--jti: expected 1-128 visible ASCII characters');
const intent = await mintIntent(secret, { amount: amount.amount, referenceId: referenceId.data, ttlSeconds: ttl, jti: jti.data });
process.stdout.write(`${intent}\n`);
process.stderr.write(`amount ${amount.amount}, referenceId ${referenceId.data}, jti ${jti.data}, expires ${new Date(Date.now() + ttl * 1000).toISOString()}\n`);
