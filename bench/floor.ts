import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { FLINKS_PATHS } from '../src/upstream/flinks-pay/schemas.js';

/*
 * The physical floor: the upstream calls a checkout or a status read needs, made directly with
 * undici from the driver process, with nothing in front. Headers and bodies match what the BFF sends.
 */

const BASIC = `Basic ${Buffer.from('bench:bench').toString('base64')}`;

export interface FloorClient {
  /** authorize → sessions/initiate → paymentrequests, one after the other, like one shopper. */
  checkout(): Promise<void>;
  /** One status read of `requestId` with a shared bearer token. */
  status(requestId: string): Promise<void>;
  close(): Promise<void>;
}

export function createFloorClient(baseUrl: string, connections: number): FloorClient {
  const pool = new Pool(baseUrl, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  let statusToken: string | undefined;

  async function call(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string) {
    const res = await pool.request({
      method,
      path,
      headers: { 'user-agent': 'bench-floor', accept: 'application/json', 'x-request-id': randomUUID(), ...headers },
      body,
    });
    const json = (await res.body.json()) as Record<string, unknown>;
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode} on ${path}`);
    return json;
  }

  async function authorize(): Promise<string> {
    const token = await call(
      'POST',
      FLINKS_PATHS.authorize,
      { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
      'grant_type=client_credentials',
    );
    return String(token.access_token);
  }

  return {
    async checkout() {
      const bearer = { authorization: `Bearer ${await authorize()}`, 'content-type': 'application/json' };
      const session = await call(
        'POST',
        FLINKS_PATHS.initiateSession,
        bearer,
        JSON.stringify({
          amount: 49.95,
          customerName: 'Jane Doe',
          customerEmail: 'jane@example.com',
          referenceId: randomUUID(),
        }),
      );
      await call('POST', FLINKS_PATHS.paymentRequests, bearer, JSON.stringify({ sessionId: session.sessionId }));
    },
    async status(requestId) {
      statusToken ??= await authorize();
      await call('GET', `${FLINKS_PATHS.paymentRequests}/${requestId}`, { authorization: `Bearer ${statusToken}` });
    },
    close: () => pool.close(),
  };
}
