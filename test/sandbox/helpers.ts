import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { createSandboxControl, type SandboxControl } from '../../sandbox/control.js';
import { buildSandbox, type SandboxOptions } from '../../sandbox/sandbox-app.js';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.js';

/** The subset of tap's Test this helper needs, so it works with any tap version's types. */
interface Teardownable {
  teardown(fn: () => unknown): void;
}

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

export function sessionBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    amount: 250.5,
    firstName: 'Ada',
    lastName: 'Lovelace',
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

/** Starts a real sandbox on an ephemeral port; closed by the test's teardown. */
export async function startSandbox(t: Teardownable, opts: SandboxOptions = {}): Promise<Harness> {
  const clock = { now: 1_700_000_000_000 };
  const control = opts.control ?? createSandboxControl();
  const app = buildSandbox({ now: () => clock.now, ...opts, control });
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

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
      headers: { authorization: basic(), ...FORM },
      body: 'grant_type=client_credentials',
    });
    return field(res.json, 'access_token');
  }

  const initiate = (token: string, overrides: Record<string, unknown> = {}): Promise<Response> =>
    call('POST', '/api/v1/sessions/initiate', {
      headers: { ...bearer(token), ...JSON_TYPE },
      body: JSON.stringify(sessionBody(overrides)),
    });

  async function checkout(overrides: Record<string, unknown> = {}) {
    const token = await authorize();
    const sessionId = field((await initiate(token, overrides)).json, 'sessionId');
    const created = await call('POST', '/api/v1/paymentrequests', {
      headers: { ...bearer(token), ...JSON_TYPE },
      body: JSON.stringify({ sessionId }),
    });
    return { token, sessionId, requestId: field(created.json, 'requestId') };
  }

  const decide = (sessionId: string, body: unknown): Promise<Response> =>
    call('POST', `/app/api/sessions/${sessionId}/decision`, { headers: JSON_TYPE, body: JSON.stringify(body) });

  async function statusOf(requestId: string): Promise<unknown> {
    const res = await call('GET', `/api/v1/paymentrequests/${requestId}`, { headers: bearer(await authorize()) });
    return res.status === 200 ? (res.json as { status?: unknown } | undefined)?.status : `HTTP ${res.status}`;
  }

  return { baseUrl, control, clock, call, authorize, initiate, checkout, decide, statusOf };
}
