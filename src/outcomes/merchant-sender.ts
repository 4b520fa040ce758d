import { performance } from 'node:perf_hooks';
import type { Webhook } from 'standardwebhooks';
import { Agent, request, type Dispatcher } from 'undici';
import type { PaymentStatus } from '../upstream/flinks-pay/schemas.js';

/** One status change as the merchant receives it (`data` mirrors GET /checkout/{requestId}). */
export interface StatusChangedEvent {
  type: 'checkout.status_changed';
  /** When the change was observed (ISO 8601); the same on every attempt. */
  timestamp: string;
  data: { requestId: string; status: PaymentStatus; referenceId: string; final: boolean; reason?: string };
}

export interface SendResult {
  delivered: boolean;
  /** The HTTP status, or what went wrong. */
  answer: string;
  durationMs: number;
}

export interface MerchantSenderOptions {
  /** The merchant's endpoint (a function when it is known only once the server listens: the demo). */
  url: string | (() => string);
  /** `whsec_…` secrets; each attempt is signed with every one (key rotation), newest first. */
  secrets: readonly string[];
  timeoutMs: number;
  /** Connections to the merchant at once; a hanging endpoint holds one of them, not the others. */
  connections: number;
  userAgent: string;
  dispatcher?: Dispatcher;
  now?: () => number;
}

/** Merchants' error bodies are never read past this. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The answer of an attempt that close() ended while it waited: no fault of the merchant's. */
export const CUT_OFF = 'cut off (the instance stopped)';

function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  return typeof code === 'string' ? `connection failed (${code})` : 'connection failed';
}

/**
 * Posts Standard Webhooks (https://www.standardwebhooks.com): the body is the event JSON, the
 * headers `webhook-id` (the same on every retry), `webhook-timestamp` (this attempt, in seconds)
 * and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret,
 * space-separated), signed by the `standardwebhooks` package.
 */
export function createMerchantSender(options: MerchantSenderOptions) {
  // The signing library is loaded by the first delivery, so an instance that sends none never
  // holds it (the secrets' format was checked at start).
  let signers: Promise<Webhook[]> | undefined;
  const loadSigners = (): Promise<Webhook[]> =>
    (signers ??= import('standardwebhooks').then((library) => options.secrets.map((secret) => new library.Webhook(secret))));
  const now = options.now ?? Date.now;
  let closed = false;
  const dispatcher =
    options.dispatcher ??
    new Agent({ connections: options.connections, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, keepAliveTimeout: 4000 });

  return {
    async send(webhookId: string, event: StatusChangedEvent): Promise<SendResult> {
      const body = JSON.stringify(event);
      const loaded = await loadSigners();
      const at = new Date(now());
      const signature = loaded.map((signer) => signer.sign(webhookId, at, body)).join(' ');
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      try {
        const url = typeof options.url === 'function' ? options.url() : options.url;
        const response = await request(url, {
          method: 'POST',
          dispatcher,
          body,
          headers: {
            'content-type': 'application/json',
            'user-agent': options.userAgent,
            'webhook-id': webhookId,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': signature,
          },
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        await response.body.dump({ limit: MAX_ANSWER_BYTES }).catch(() => undefined);
        const delivered = response.statusCode >= 200 && response.statusCode < 300;
        return { delivered, answer: String(response.statusCode), durationMs: elapsed() };
      } catch (error) {
        return { delivered: false, answer: closed ? CUT_OFF : describeFailure(error), durationMs: elapsed() };
      }
    },
    /** Ends the requests still waiting for their answer. */
    async close(): Promise<void> {
      closed = true;
      if (!options.dispatcher) await dispatcher.destroy();
    },
  };
}

export type MerchantSender = ReturnType<typeof createMerchantSender>;
