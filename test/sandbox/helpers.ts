import { request } from 'undici';
import type { SandboxControl } from '../../sandbox/control.js';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.js';
import type { SandboxOptions } from '../../sandbox/sandbox-app.js';
import { startSandbox as startRunning, type Teardownable } from '../support/sandbox.js';

export interface Response {
  status: number;
  contentType: string;
  text: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body; undefined when the body is not JSON. */
  json: unknown;
}

export interface Harness {
  baseUrl: string;
  control: SandboxControl;
  clock: { now: number };
  call(method: 'GET' | 'POST', path: string, init?: CallInit): Promise<Response>;
  authorize(): Promise<string>;
  initiate(token: string, overrides?: Record<string, unknown>): Promise<Response>;
  /** authorize → initiate → paymentrequests; returns all three identifiers. */
  checkout(overrides?: Record<string, unknown>): Promise<{ token: string; sessionId: string; requestId: string }>;
  /** The app page's decision call, as its script sends it. */
  decide(sessionId: string, body: unknown): Promise<Response>;
  /** The app page's "the shopper opened this request" call, as its script sends it on load. */
  start(sessionId: string): Promise<Response>;
  /** The status the API reports now, read with a fresh token; `HTTP <code>` when not 200. */
  statusOf(requestId: string): Promise<unknown>;
}

export interface CallInit {
  headers?: Record<string, string>;
  body?: string;
  headersTimeout?: number;
}

export const basic = (username = SANDBOX_CREDENTIALS.username, password = SANDBOX_CREDENTIALS.password): string =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
export const JSON_TYPE = { 'content-type': 'application/json' };

/** A valid v1 initiate body (§2.2); an override of `undefined` leaves that field out. */
export function sessionBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    amount: 250.5,
    customerName: 'Ada Lovelace',
    customerEmail: 'ada@example.com',
    referenceId: 'order-1',
    ...overrides,
  };
}

function field(json: unknown, name: string): string {
  const value = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[name] : undefined;
  if (typeof value !== 'string') throw new Error(`response has no string ${name}`);
  return value;
}

/**
 * A real sandbox (test/support/sandbox.ts) with a hand-driven clock and typed calls for its API;
 * closed by the test's teardown.
 */
export async function startSandbox(t: Teardownable, opts: SandboxOptions = {}): Promise<Harness> {
  const clock = { now: 1_700_000_000_000 };
  const { url: baseUrl, control } = await startRunning(t, { now: () => clock.now, ...opts });
  // The flow helpers name the configured instance, as a client must; call() sends only what it is given.
  const instance: Record<string, string> = opts.instance === undefined ? {} : { baseuri: opts.instance };

  async function call(method: 'GET' | 'POST', path: string, init: CallInit = {}): Promise<Response> {
    const res = await request(`${baseUrl}${path}`, {
      method,
      headers: init.headers,
      body: init.body,
      ...(init.headersTimeout === undefined ? {} : { headersTimeout: init.headersTimeout }),
    });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      json = undefined;
    }
    const contentType = res.headers['content-type'];
    return {
      status: res.statusCode,
      contentType: typeof contentType === 'string' ? contentType : '',
      text,
      headers: res.headers,
      json,
    };
  }

  async function authorize(): Promise<string> {
    const res = await call('POST', '/api/v1/authorize', {
      headers: { authorization: basic(), ...FORM, ...instance },
      body: 'grant_type=client_credentials',
    });
    return field(res.json, 'access_token');
  }

  const initiate = (token: string, overrides: Record<string, unknown> = {}): Promise<Response> =>
    call('POST', '/api/v1/sessions/initiate', {
      headers: { ...bearer(token), ...JSON_TYPE, ...instance },
      body: JSON.stringify(sessionBody(overrides)),
    });

  async function checkout(overrides: Record<string, unknown> = {}) {
    const token = await authorize();
    const sessionId = field((await initiate(token, overrides)).json, 'sessionId');
    const created = await call('POST', '/api/v1/paymentrequests', {
      headers: { ...bearer(token), ...JSON_TYPE, ...instance },
      body: JSON.stringify({ sessionId }),
    });
    return { token, sessionId, requestId: field(created.json, 'requestId') };
  }

  const decide = (sessionId: string, body: unknown): Promise<Response> =>
    call('POST', `/app/api/sessions/${sessionId}/decision`, { headers: JSON_TYPE, body: JSON.stringify(body) });
  const start = (sessionId: string): Promise<Response> => call('POST', `/app/api/sessions/${sessionId}/start`, { headers: JSON_TYPE, body: '{}' });

  async function statusOf(requestId: string): Promise<unknown> {
    const res = await call('GET', `/api/v1/paymentrequests/${requestId}`, {
      headers: { ...bearer(await authorize()), ...instance },
    });
    return res.status === 200 ? (res.json as { status?: unknown } | undefined)?.status : `HTTP ${res.status}`;
  }

  return { baseUrl, control, clock, call, authorize, initiate, checkout, decide, start, statusOf };
}
