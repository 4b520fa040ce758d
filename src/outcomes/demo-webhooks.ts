import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';

/** http://host:port of this server as a local client reaches it; only valid once it listens. */
function ownUrl(server: Server): string {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('this server does not listen yet');
  if (address.family === 'IPv6') return `http://[${address.address === '::' ? '::1' : address.address}]:${address.port}`;
  return `http://${address.address === '0.0.0.0' ? '127.0.0.1' : address.address}:${address.port}`;
}

export interface DemoWebhooks {
  /** What the embedded sandbox needs to send Flinks-style signed webhooks to this server. */
  flinks: { url: () => string; secret: string; signatureHeader: string };
  /** Merchant webhooks to the demo's merchant backend panel; absent when MERCHANT_WEBHOOK_URL is set. */
  merchant?: { url: () => string; secrets: readonly string[] };
}

/**
 * Sandbox mode wires outcome delivery to itself, so the demo shows it end to end: the simulator
 * signs its webhooks with FLINKS_WEBHOOK_SECRET (or a random secret of this process), and merchant
 * webhooks go to the demo page's merchant backend at /demo/merchant/webhooks, signed with a random
 * secret unless MERCHANT_WEBHOOK_URL and MERCHANT_WEBHOOK_SECRET say otherwise.
 */
export function createDemoWebhooks(
  server: Server,
  settings: { flinksWebhook?: { secret: string }; merchantWebhook?: unknown; flinksWebhookSignatureHeader: string },
): DemoWebhooks {
  const flinks = {
    url: () => `${ownUrl(server)}/webhooks/flinks`,
    secret: settings.flinksWebhook?.secret ?? randomBytes(32).toString('hex'),
    signatureHeader: settings.flinksWebhookSignatureHeader,
  };
  if (settings.merchantWebhook !== undefined) return { flinks };
  return {
    flinks,
    merchant: { url: () => `${ownUrl(server)}/demo/merchant/webhooks`, secrets: [`whsec_${randomBytes(32).toString('base64')}`] },
  };
}
