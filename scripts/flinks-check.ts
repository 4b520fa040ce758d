/*
 * npm run -s flinks:check -- [--yes] [--amount 1.00] [--name "First Last"] [--email a@b.example] [--reference id]
 *
 * The first contact with a merchant's real Flinks Pay instance, before a shopper's: one authorize →
 * sessions/initiate → paymentrequests → status read, sent by the service's own wire client with the
 * service's own settings. One line per step (HTTP status, duration, field names, never a value or a
 * secret); on the first failure a diagnosis. Exit 0: all four passed, 1: a step failed, 2: bad
 * usage or configuration. See docs/flinks-check.md.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ReferenceIdSchema } from '../src/checkout/schemas.js';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { UpstreamRejectedError, UpstreamTimeoutError } from '../src/errors/app-errors.js';
import { parseCadAmount } from '../src/money/cad-amount.js';
import { createFlinksPayApi, type CallContext, type ResponseShape } from '../src/upstream/flinks-pay/api.js';
import { InitiateSessionRequestSchema } from '../src/upstream/flinks-pay/schemas.js';
import {
  describeTarget,
  diagnose,
  errorCode,
  NOT_CONFIGURED,
  planLines,
  REFUSAL,
  stepLine,
  summaryLines,
  USAGE,
  type CheckStep,
  type Failure,
  type StepReport,
} from './flinks-check-report.js';

const write = (line: string) => process.stdout.write(`${line}\n`);

function fail(message: string, showUsage = true): never {
  process.stderr.write(`${message}\n${showUsage ? `${USAGE}\n` : ''}`);
  process.exit(2);
}

function readArgs() {
  try {
    return parseArgs({
      options: {
        yes: { type: 'boolean', default: false },
        amount: { type: 'string', default: '1.00' },
        name: { type: 'string', default: 'Flinks Check' },
        email: { type: 'string', default: 'flinks-check@example.com' },
        reference: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

/** The payment request this check creates, validated by the service's own rules. */
function sessionInput(args: ReturnType<typeof readArgs>) {
  const amount = parseCadAmount(args.amount);
  if (!amount.ok) fail(`--amount: "${args.amount}" is not a positive CAD amount with at most 2 decimals (max 1000000.00)`);
  const referenceId = ReferenceIdSchema.safeParse(args.reference ?? `flinks-check-${randomUUID()}`);
  if (!referenceId.success) fail('--reference: expected 1-64 characters of A-Z a-z 0-9 . _ -');
  const input = {
    amount: amount.amount,
    // v1 takes one full-name string: first [middle] last, joined by single spaces.
    customerName: args.name.trim().split(/\s+/).join(' '),
    customerEmail: args.email.trim(),
    referenceId: referenceId.data,
  };
  const wire = InitiateSessionRequestSchema.safeParse({ ...input, amount: Number(input.amount) });
  if (!wire.success) {
    const flagOf: Record<string, string> = { customerName: '--name', customerEmail: '--email' };
    const field = (issue: (typeof wire.error.issues)[number]) => String(issue.path[0]);
    fail(wire.error.issues.map((issue) => `${flagOf[field(issue)] ?? field(issue)}: ${issue.message}`).join('; '));
  }
  return input;
}

/** The version in package.json, sent in the user-agent exactly as the service sends it. */
function userAgent(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return `flinks-pay-checkout-bff/${pkg.version ?? '0.0.0'}`;
}

function failureOf(error: unknown, response: ResponseShape | undefined): Failure {
  if (error instanceof UpstreamTimeoutError) return { kind: 'timeout' };
  // A bug rather than an answer from Flinks: its name only, no message or stack that might quote data.
  if (!(error instanceof UpstreamRejectedError)) {
    return { kind: 'unexpected', name: error instanceof Error ? error.name : typeof error };
  }
  const statusCode = error.upstreamStatus;
  if (statusCode === undefined) return { kind: 'connection', code: errorCode(error.cause) };
  if (!response) return { kind: 'unreadable', statusCode };
  return statusCode >= 200 && statusCode <= 299 ? { kind: 'shape', statusCode } : { kind: 'status', statusCode };
}

const args = readArgs();
if (args.help) {
  write(USAGE);
  process.exit(0);
}
if ((process.env.FLINKS_BASE_URL ?? '').trim() === '') fail(NOT_CONFIGURED, false);
let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message, false);
  throw error;
}
const { flinks } = config;
if (flinks.mode !== 'remote') fail(NOT_CONFIGURED, false);
const input = sessionInput(args);

const { target, isSandbox } = describeTarget(flinks.baseUrl, flinks.instance, config.upstream.timeoutMs);
planLines(target, flinks.instance, input).forEach(write);
if (!isSandbox && !args.yes) fail(REFUSAL);

const seen = new Map<CheckStep, ResponseShape>();
const api = createFlinksPayApi({
  baseUrl: flinks.baseUrl,
  credentials: { username: flinks.username, password: flinks.password },
  instance: flinks.instance,
  timeoutMs: config.upstream.timeoutMs,
  connections: 1,
  userAgent: userAgent(),
  inspect: (response) => seen.set(response.step, response),
});
const ctx: CallContext = { log: pino({ level: 'silent' }), requestId: input.referenceId };

/** Runs one step, prints its line (and the diagnosis when it failed); undefined on failure. */
async function step<T>(name: CheckStep, call: () => Promise<T | undefined>): Promise<T | undefined> {
  const started = performance.now();
  let value: T | undefined;
  let failure: Failure | undefined;
  try {
    value = await call();
    if (value === undefined) failure = { kind: 'absent' };
  } catch (error) {
    failure = failureOf(error, seen.get(name));
  }
  const durationMs = performance.now() - started;
  const report: StepReport = { step: name, durationMs, response: seen.get(name), failure };
  write(stepLine(report));
  if (failure) process.stderr.write(`\nDiagnosis: ${diagnose(report, target)}\n`);
  return failure ? undefined : value;
}

async function check(): Promise<boolean> {
  const token = await step('authorize', () => api.authorize(ctx));
  if (!token) return false;
  const session = await step('initiate', () => api.initiateSession(ctx, token, input));
  if (!session) return false;
  const payment = await step('paymentrequest', () => api.createPaymentRequest(ctx, token, session.sessionId));
  if (!payment) return false;
  // Flinks ties a token to one session, and a status read creates none, so it reuses this one (the
  // service reads with a token of its own; whether a session's token may read is UNCONFIRMED, §3).
  const status = await step('status', () => api.getPaymentRequest(ctx, token, payment.requestId));
  if (!status) return false;
  summaryLines(`${flinks.appUrl}/app/?sessionId=${session.sessionId}`, payment.requestId, status.status).forEach(write);
  return true;
}

try {
  process.exitCode = (await check()) ? 0 : 1;
} finally {
  await api.close();
}
