import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { FLINKS_PATHS } from '../src/upstream/flinks-pay/schemas.js';

/*
 * The cheapest possible Flinks Pay for the benchmark: plain node:http, no validation, every answer
 * after a fixed latency. Runs in its own process so its CPU is not charged to the BFF or the driver.
 * Control paths (never called by a BFF):
 *   POST /_bench/latency  body: milliseconds per call from now on
 *   POST /_bench/status   body: the status every status read answers from now on (default Initiated)
 *   GET  /_bench/counts   per Basic-auth username: calls by step, tokens issued and tokens never used
 * Each BFF under test authorizes with a username of its own, so one fake can serve them all and
 * still tell their calls apart.
 */

let latencyMs = Number(process.env.FAKE_LATENCY_MS ?? 10);
let status = 'Initiated';
/** `expires_in` of issued tokens; Flinks v1 documents 299 s. */
const TOKEN_TTL_S = Number(process.env.FAKE_TOKEN_TTL_S ?? 299);
const STATUS_PREFIX = `${FLINKS_PATHS.paymentRequests}/`;

interface Counts {
  authorize: number;
  initiate: number;
  paymentrequest: number;
  status: number;
  /** Tokens issued and not yet presented on any call. */
  unused: Set<string>;
}

const byUser = new Map<string, Counts>();
/** Which user a token was issued to ("<user>.<uuid>"), read back from the token itself. */
const userOfToken = (token: string) => token.slice(0, token.indexOf('.'));

function countsOf(user: string): Counts {
  let counts = byUser.get(user);
  if (!counts) {
    counts = { authorize: 0, initiate: 0, paymentrequest: 0, status: 0, unused: new Set() };
    byUser.set(user, counts);
  }
  return counts;
}

function basicUser(header: string | undefined): string {
  const encoded = header?.startsWith('Basic ') ? header.slice(6) : '';
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  return decoded.slice(0, Math.max(0, decoded.indexOf(':'))) || 'anonymous';
}

/** Notes a call made with a bearer token, and that the token was used. */
function bearerCall(header: string | undefined, step: 'initiate' | 'paymentrequest' | 'status'): void {
  const token = header?.startsWith('Bearer ') ? header.slice(7) : '';
  const counts = countsOf(userOfToken(token) || 'anonymous');
  counts[step]++;
  counts.unused.delete(token);
}

type Answer = [status: number, body: unknown];

function answer(req: IncomingMessage, path: string, body: string): Answer {
  const { method } = req;
  if (method === 'POST' && path === FLINKS_PATHS.authorize) {
    const user = basicUser(req.headers.authorization);
    const counts = countsOf(user);
    const token = `${user}.${randomUUID()}`;
    counts.authorize++;
    counts.unused.add(token);
    return [200, { access_token: token, token_type: 'bearer', expires_in: TOKEN_TTL_S }];
  }
  if (method === 'POST' && path === FLINKS_PATHS.initiateSession) {
    bearerCall(req.headers.authorization, 'initiate');
    const { referenceId } = JSON.parse(body) as { referenceId?: string };
    return [200, { sessionId: randomUUID(), referenceId }];
  }
  if (method === 'POST' && path === FLINKS_PATHS.paymentRequests) {
    bearerCall(req.headers.authorization, 'paymentrequest');
    return [200, { requestId: randomUUID() }];
  }
  if (method === 'GET' && path.startsWith(STATUS_PREFIX)) {
    bearerCall(req.headers.authorization, 'status');
    const requestId = path.slice(STATUS_PREFIX.length);
    return [200, { requestId, status, ReferenceId: `order-${requestId.slice(0, 8)}` }];
  }
  return [404, { title: 'Not Found' }];
}

function send(res: ServerResponse, [code, body]: Answer): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function control(method: string | undefined, path: string, body: string): Answer | undefined {
  if (path === '/_bench/latency') {
    latencyMs = Number(body);
    return [200, { latencyMs }];
  }
  if (path === '/_bench/status') {
    status = body;
    return [200, { status }];
  }
  if (method === 'GET' && path === '/_bench/counts') {
    const report = Object.fromEntries([...byUser].map(([user, { unused, ...calls }]) => [user, { ...calls, unused: unused.size }]));
    return [200, report];
  }
  return undefined;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const path = req.url ?? '/';
    const controlled = path.startsWith('/_bench/') ? control(req.method, path, body) : undefined;
    if (controlled) {
      send(res, controlled);
      return;
    }
    const result = answer(req, path, body);
    // setTimeout(0) would still wait a timer tick (~1 ms): 0 means answer at once.
    if (latencyMs > 0) setTimeout(send, latencyMs, res, result);
    else send(res, result);
  });
}

const server = createServer({ keepAlive: true, keepAliveTimeout: 60_000 }, handle);
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.FAKE_PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`fake flinks listening at http://127.0.0.1:${port} (latency ${latencyMs} ms)\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
