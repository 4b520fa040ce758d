import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { FLINKS_PATHS } from '../src/upstream/flinks-pay/schemas.js';

/*
 * The cheapest possible Flinks Pay for the benchmark: plain node:http, no validation, every answer
 * after a fixed latency. Runs in its own process so its CPU is not charged to the BFF or the driver.
 * `POST /_bench/latency` with a number of milliseconds changes the latency while it runs.
 */

let latencyMs = Number(process.env.FAKE_LATENCY_MS ?? 10);
const STATUS_PREFIX = `${FLINKS_PATHS.paymentRequests}/`;

type Answer = [status: number, body: unknown];

function answer(method: string | undefined, path: string, body: string): Answer {
  if (method === 'POST' && path === FLINKS_PATHS.authorize) {
    return [200, { access_token: randomUUID(), token_type: 'bearer', expires_in: 299 }];
  }
  if (method === 'POST' && path === FLINKS_PATHS.initiateSession) {
    const { referenceId } = JSON.parse(body) as { referenceId?: string };
    return [200, { sessionId: randomUUID(), referenceId }];
  }
  if (method === 'POST' && path === FLINKS_PATHS.paymentRequests) return [200, { requestId: randomUUID() }];
  if (method === 'GET' && path.startsWith(STATUS_PREFIX)) {
    const requestId = path.slice(STATUS_PREFIX.length);
    return [200, { requestId, status: 'Initiated', ReferenceId: `order-${requestId.slice(0, 8)}` }];
  }
  return [404, { title: 'Not Found' }];
}

function send(res: ServerResponse, [status, body]: Answer): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const path = req.url ?? '/';
    if (path === '/_bench/latency') {
      latencyMs = Number(body);
      send(res, [200, { latencyMs }]);
      return;
    }
    const result = answer(req.method, path, body);
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
