import type { Server } from 'node:http';

/** http://host:port of this server as a local client reaches it; only valid once it listens. */
export function selfUrl(server: Server): string {
  const address = server.address();
  if (!address || typeof address === 'string') {
    throw new Error('the embedded sandbox is reachable only once the server listens');
  }
  if (address.family === 'IPv6') {
    return `http://[${address.address === '::' ? '::1' : address.address}]:${address.port}`;
  }
  return `http://${address.address === '0.0.0.0' ? '127.0.0.1' : address.address}:${address.port}`;
}
