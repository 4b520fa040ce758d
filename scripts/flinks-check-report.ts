/*
 * What `npm run flinks:check` prints: one line per step and, on the first failure, a diagnosis a
 * merchant can act on. Pure functions over plain facts (no src/ import, no I/O), so every wording
 * is decided here and nothing but names, statuses and durations can reach the output.
 */

export const USAGE = 'usage: npm run -s flinks:check -- [--yes] [--amount 1.00] [--name "First Last"] [--email a@b.example] [--reference id]';

export const NOT_CONFIGURED =
  'flinks:check checks a real Flinks Pay instance: set FLINKS_BASE_URL, FLINKS_USERNAME and FLINKS_PASSWORD ' +
  '(and FLINKS_INSTANCE, FLINKS_APP_URL when Flinks gave you those) to the values from your Flinks onboarding. ' +
  'Without FLINKS_BASE_URL the service uses its built-in sandbox, which needs no check.';

export const REFUSAL =
  'Refusing to run without --yes: the target does not look like a sandbox (neither FLINKS_INSTANCE nor the ' +
  'FLINKS_BASE_URL host contains "sandbox"), and the check creates a real payment request there. ' +
  'Run again with --yes to go ahead.';

export type CheckStep = 'authorize' | 'initiate' | 'paymentrequest' | 'status';

/** What one response looked like: the transport's ResponseShape, names only. */
export interface SeenResponse {
  statusCode: number;
  fields: string[];
  problemFields?: string[];
  mentionsBaseUri: boolean;
}

export type Failure =
  | { kind: 'timeout' }
  /** No HTTP answer at all; `code` is the socket/DNS/TLS error code when there is one. */
  | { kind: 'connection'; code?: string }
  /** Flinks answered with a non-2xx status. */
  | { kind: 'status'; statusCode: number }
  /** A 2xx whose body does not parse with the service's schema. */
  | { kind: 'shape'; statusCode: number }
  /** An answer whose body could not be read in full (too large, cut off). */
  | { kind: 'unreadable'; statusCode: number }
  /** The status read answered 404: Flinks does not know the request it just created. */
  | { kind: 'absent' }
  /** Not an answer from Flinks but a fault of the check itself; the error's name only. */
  | { kind: 'unexpected'; name: string };

export interface StepReport {
  step: CheckStep;
  durationMs: number;
  response?: SeenResponse;
  failure?: Failure;
}

export interface Target {
  /** scheme://host[:port]/path of FLINKS_BASE_URL, never with credentials. */
  baseUrl: string;
  host: string;
  hasInstance: boolean;
  timeoutMs: number;
}

/** The target as it may be printed (no credentials in the URL), and whether it is a sandbox. */
export function describeTarget(baseUrl: string, instance: string | undefined, timeoutMs: number) {
  const url = new URL(baseUrl);
  url.username = '';
  url.password = '';
  const target: Target = {
    baseUrl: url.href.replace(/\/$/, ''),
    host: url.host,
    hasInstance: instance !== undefined,
    timeoutMs,
  };
  return { target, isSandbox: /sandbox/i.test(instance ?? '') || /sandbox/i.test(url.hostname) };
}

/** The code of a failed connection (ECONNREFUSED, ENOTFOUND, a TLS code), looked for along the cause chain. */
export function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,64}$/.test(code)) return code;
  }
  return undefined;
}

/** What the check is about to do, printed before anything is sent. */
export function planLines(
  target: Target,
  instance: string | undefined,
  payment: { amount: string; customerName: string; customerEmail: string; referenceId: string },
): string[] {
  const named = instance === undefined ? 'no FLINKS_INSTANCE' : `instance ${instance}`;
  return [
    `Flinks check against ${target.baseUrl} (${named}).`,
    `This creates a real payment request: ${payment.amount} CAD from "${payment.customerName}" ` +
      `<${payment.customerEmail}>, referenceId ${payment.referenceId}.`,
  ];
}

/** After four passed steps: where the shopper would go (a sessionId is no secret), and the status read. */
export function summaryLines(launchUrl: string, requestId: string, status: string): string[] {
  return [
    '',
    `Launch URL: ${launchUrl}`,
    `Payment request ${requestId} is ${status}.`,
    'All four steps passed: the service can reach this Flinks instance with these settings.',
  ];
}

export const STEP_NAMES: Readonly<Record<CheckStep, string>> = {
  authorize: 'authorize',
  initiate: 'sessions/initiate',
  paymentrequest: 'paymentrequests',
  status: 'status read',
};

const MAX_LISTED_FIELDS = 30;

/** A field name as it may be printed: odd characters escaped (no terminal control), length capped. */
function safeName(name: string): string {
  return /^[\w.$@:[\]-]{1,64}$/.test(name) ? name : JSON.stringify(name.slice(0, 64));
}

export function fieldList(names: readonly string[]): string {
  if (names.length === 0) return '(none)';
  const shown = names.slice(0, MAX_LISTED_FIELDS).map(safeName).join(', ');
  return names.length > MAX_LISTED_FIELDS ? `${shown}, … ${names.length - MAX_LISTED_FIELDS} more` : shown;
}

/** `ok    authorize          200    143 ms  fields: access_token, token_type, expires_in` */
export function stepLine(report: StepReport): string {
  const verdict = report.failure ? 'FAIL' : 'ok';
  const status = report.response ? String(report.response.statusCode) : '---';
  const duration = `${Math.round(report.durationMs)} ms`;
  const fields = report.response ? `fields: ${fieldList(report.response.fields)}` : `no HTTP answer`;
  return `${verdict.padEnd(5)} ${STEP_NAMES[report.step].padEnd(18)} ${status.padStart(3)} ${duration.padStart(9)}  ${fields}`;
}

const NOT_AN_API = 'FLINKS_BASE_URL does not look like a Flinks Pay API base';
const CHECK_INSTANCE = 'check FLINKS_INSTANCE (sent as the BaseURI header)';
const TO_US = 'send this output to the BFF maintainers';
const TO_FLINKS = 'send this output to Flinks support';
const CHECK_CREDENTIALS = 'Flinks refused the credentials: check FLINKS_USERNAME / FLINKS_PASSWORD (and that they belong to this instance)';

/** The flag that sets each field of the session request, keyed by the field's lower-cased name. */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  amount: '--amount',
  customername: '--name',
  customeremail: '--email',
  referenceid: '--reference',
};

/** One or two sentences that tell the merchant what to change; only for a report with a failure. */
export function diagnose(report: StepReport, target: Target): string {
  const { failure, response } = report;
  const step = STEP_NAMES[report.step];
  if (!failure) return '';
  switch (failure.kind) {
    case 'timeout': {
      const late = `gave no answer within ${target.timeoutMs} ms (UPSTREAM_TIMEOUT_MS)`;
      return report.step === 'authorize'
        ? `${NOT_AN_API}: ${target.host} ${late}.`
        : `Flinks ${late} to ${step}, although the earlier steps worked: retry later; if it persists, contact Flinks.`;
    }
    case 'connection':
      return report.step === 'authorize'
        ? `${NOT_AN_API}: ${connectionProblem(failure.code, target.host)}.`
        : `The connection to Flinks failed at ${step} (${failure.code ?? 'no error code'}), although the earlier ` +
            `steps worked: retry later; if it persists, check the network path to ${target.host}.`;
    case 'absent':
      return `Flinks does not know the payment request it has just created (HTTP 404 at ${step}): ${TO_FLINKS}.`;
    case 'unreadable':
      return (
        `Flinks answered ${step} with HTTP ${failure.statusCode}, but its body could not be read in full ` + '(cut off, or larger than the service accepts).'
      );
    case 'unexpected':
      return `The check itself failed at ${step} (${failure.name}), not Flinks: ${TO_US}.`;
    case 'shape':
      return shapeProblem(report.step, response);
    case 'status':
      return statusProblem(report.step, failure.statusCode, response, target);
  }
}

function connectionProblem(code: string | undefined, host: string): string {
  const suffix = code ? ` (${code})` : '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host ${host} does not resolve in DNS${suffix}`;
  if (code === 'ECONNREFUSED') return `nothing accepts connections at ${host}${suffix}`;
  if (code && /CERT|TLS|SSL/.test(code)) {
    return `the TLS handshake with ${host} failed${suffix}; check the host name and the https:// scheme`;
  }
  return `no HTTP connection could be made to ${host}${suffix}`;
}

function shapeProblem(step: CheckStep, response: SeenResponse | undefined): string {
  const fields = response?.fields ?? [];
  const base = `Flinks answered in a shape this service does not understand: fields seen ${fieldList(fields)}`;
  if (fields.length === 0) {
    const hint = step === 'authorize' ? `; at authorize this usually means ${NOT_AN_API} (a web page answered)` : '';
    return `${base}: the body is not a JSON object${hint}.`;
  }
  const why = 'a field is missing, or holds a value of another type or format than shared/flinks-pay-api.md documents';
  return `${base} (${why}): ${TO_US}.`;
}

function statusProblem(step: CheckStep, statusCode: number, response: SeenResponse | undefined, target: Target): string {
  const name = STEP_NAMES[step];
  if (response?.mentionsBaseUri) {
    const unset = target.hasInstance ? '' : ' (FLINKS_INSTANCE is not set; Flinks seems to expect one)';
    return `Flinks refused the instance at ${name} (HTTP ${statusCode}): ${CHECK_INSTANCE}${unset}.`;
  }
  if (step === 'authorize') {
    if (statusCode === 401 || statusCode === 403) {
      return target.hasInstance ? `${CHECK_CREDENTIALS}; also ${CHECK_INSTANCE}.` : `${CHECK_CREDENTIALS}.`;
    }
    if (statusCode === 404 || statusCode === 405) return `${NOT_AN_API}: it has no ${name} endpoint (HTTP ${statusCode}).`;
    if (statusCode >= 300 && statusCode < 400) {
      return (
        `${NOT_AN_API}: it answered with a redirect (HTTP ${statusCode}), which the service never follows; ` +
        'use the exact API base Flinks gave you (https://, host and path).'
      );
    }
  }
  if (statusCode === 401 && step === 'status') {
    return (
      'Flinks refused the status read with the token that initiated the session (HTTP 401). ' +
      'Whether such a token may read statuses is undocumented (shared/flinks-pay-api.md §3); the service reads ' +
      `statuses with a token of its own and re-authorizes once on a 401, so checkouts may still work: ${TO_US}.`
    );
  }
  if (statusCode === 401) {
    const hint = target.hasInstance ? CHECK_INSTANCE : 'if Flinks gave you an instance name, set FLINKS_INSTANCE (sent as the BaseURI header)';
    return `Flinks refused the access token it had just issued (HTTP 401 at ${name}): ${hint}; otherwise ${TO_FLINKS}.`;
  }
  if (statusCode === 403) {
    return `Flinks does not allow ${name} for these credentials (HTTP 403): ` + 'ask Flinks to enable Flinks Pay (Interac e-Transfer) for this instance.';
  }
  if (statusCode === 400) return validationProblem(name, response?.problemFields ?? []);
  if (statusCode === 404) {
    return (
      `Flinks answered ${name} with HTTP 404 although authorize worked: ask Flinks whether the ` +
      `Flinks Pay v1 API (sessions/initiate, paymentrequests) is enabled for this instance at ${target.baseUrl}.`
    );
  }
  if (statusCode === 429) return `Flinks rate-limited ${name} (HTTP 429): wait a minute and run the check again.`;
  if (statusCode >= 500) return `Flinks failed at ${name} (HTTP ${statusCode}): retry later; if it persists, ${TO_FLINKS}.`;
  return `Flinks refused ${name} with HTTP ${statusCode}; fields seen ${fieldList(response?.fields ?? [])}: ${TO_US}.`;
}

function validationProblem(name: string, fields: readonly string[]): string {
  if (fields.length === 0) return `Flinks refused ${name} as invalid (HTTP 400) without naming a field: ${TO_US}.`;
  const flagOf = (field: string) => FLAG_OF_FIELD[field.replace(/^\$\./, '').toLowerCase()];
  const flags = [...new Set(fields.map(flagOf).filter((flag) => flag !== undefined))];
  const disagree = `the service and this Flinks instance disagree on the request format: ${TO_US}`;
  const advice =
    flags.length > 0
      ? `check ${flags.join(', ')}; if the values are right, ${disagree}.`
      : `these are fields the service fills as documented (shared/flinks-pay-api.md), so ${disagree}.`;
  return `Flinks refused ${name} as invalid (HTTP 400), naming the fields ${fieldList(fields)}: ${advice}`;
}
