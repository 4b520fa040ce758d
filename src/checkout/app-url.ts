import type { FastifyRequest } from 'fastify';
import type { FlinksConfig } from '../config/config.js';
import { SANDBOX_PREFIX } from '../../sandbox/mount.js';

const PLAIN_HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Base URL of the Flinks Pay app that launch URLs point to. Configured for real Flinks; for the
 * embedded sandbox it is this service's own /sandbox, as the browser reaches it.
 */
export function createAppUrlResolver(flinks: FlinksConfig, port: number): (request: FastifyRequest) => string {
  if (flinks.appUrl) {
    const configured = flinks.appUrl;
    return () => configured;
  }
  return (request) => {
    const host = PLAIN_HOST.test(request.host) ? request.host : `localhost:${port}`;
    return `${request.protocol}://${host}${SANDBOX_PREFIX}`;
  };
}
