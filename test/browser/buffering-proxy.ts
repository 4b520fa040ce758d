import { once } from 'node:events';
import { createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

/*
 * A reverse proxy in front of the service that buffers event streams, as a proxy or CDN with
 * response buffering on does: an answer to GET /checkout/{id}/events reaches the browser whole,
 * only once the service has ended it (after a final status). Everything else passes straight through.
 */

const EVENTS = /^\/checkout\/[^/]+\/events$/;

/** Starts the proxy for `target` (the service's URL) on a free port; returns its URL. */
export async function startBufferingProxy(t: Test, target: string): Promise<string> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', target);
    const upstream = forward(url, { method: request.method, headers: request.headers }, (answer) => {
      if (!EVENTS.test(url.pathname)) {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        response.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(chunks));
      });
    });
    upstream.on('error', () => response.destroy());
    // The browser hung up (an EventSource closed): so does the proxy, and the service's stream ends.
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
