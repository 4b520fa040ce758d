import { createHmac } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { PaymentRecord, SandboxState } from './state.js';
import type { PaymentStatus } from './statuses.js';

/*
 * Flinks-style webhooks from the simulator: when a payment request changes (the shopper opens or
 * decides it, an approval moves on a step, a test forces a status), the simulator POSTs an event
 * to the configured URL, signed as Flinks' GEFT webhooks are (shared/flinks-pay-api.md §6):
 * `X-Webhook-Signature: sha256=<UPPER-CASE HEX HMAC-SHA256 of the raw body>`. Like Flinks' GEFT
 * webhooks it never retries: a receiver must treat an event as a hint and still poll. Expiry of
 * an undecided request sends nothing (it is computed when read, and GEFT does not send Expired).
 */

export interface SandboxWebhookOptions {
  /** Where events go (a function when the receiver's address is known only once it listens). */
  url: string | (() => string);
  secret: string;
  /** Default X-Webhook-Signature. */
  signatureHeader?: string;
}

/** How long one delivery may take before it is abandoned. */
const SEND_TIMEOUT_MS = 5000;

export function createWebhookSender(state: SandboxState, options: SandboxWebhookOptions, stepMs: number, log: FastifyBaseLogger) {
  const header = options.signatureHeader ?? 'X-Webhook-Signature';
  const timers = new Set<NodeJS.Timeout>();
  const lastSent = new WeakMap<PaymentRecord, PaymentStatus>();
  let closed = false;

  async function post(payment: PaymentRecord, status: PaymentStatus): Promise<void> {
    const body = JSON.stringify({
      EventType: 'PaymentRequestStatusChanged',
      RequestId: payment.requestId,
      ReferenceId: payment.referenceId,
      Status: status,
      when: new Date(state.now()).toISOString(),
    });
    const signature = `sha256=${createHmac('sha256', options.secret).update(body).digest('hex').toUpperCase()}`;
    const url = typeof options.url === 'function' ? options.url() : options.url;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [header]: signature },
      body,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await response.body?.cancel();
    log.info({ requestId: payment.requestId, status, answer: response.status }, 'sandbox webhook sent');
  }

  /** Sends the payment's status at `at` (default now), unless it was the last one sent. */
  function send(payment: PaymentRecord, at?: number): void {
    if (closed) return;
    const status = state.statusOf(payment, at);
    if (lastSent.get(payment) === status) return;
    lastSent.set(payment, status);
    post(payment, status).catch((error: unknown) => {
      log.warn({ err: error, requestId: payment.requestId }, 'sandbox webhook not delivered (never retried)');
    });
  }

  return {
    /** The payment just changed; an approval's later steps follow on their own. */
    changed(payment: PaymentRecord, stepsAhead = 0): void {
      const changedAt = state.now();
      send(payment, changedAt);
      for (let step = 1; step <= stepsAhead; step += 1) {
        // The status that step reached, not the one of the moment the timer runs: on a busy
        // machine a late timer would otherwise find a later step already, and one change would go unsent.
        const timer = setTimeout(
          () => {
            timers.delete(timer);
            send(payment, changedAt + step * stepMs);
          },
          step * stepMs + 5,
        );
        timer.unref();
        timers.add(timer);
      }
    },
    close(): void {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;

/** The state, with every change it makes reported to the sender. */
export function withWebhooks(state: SandboxState, sender: WebhookSender): SandboxState {
  return {
    ...state,
    start(payment) {
      const status = state.start(payment);
      if (status !== undefined) sender.changed(payment);
      return status;
    },
    decide(payment, kind, institution) {
      const status = state.decide(payment, kind, institution);
      // An approval moves on by itself: Accepted → Processed → Settled (or Processing → Declined/Failed).
      if (status !== undefined) sender.changed(payment, kind === 'approve' ? 2 : 0);
      return status;
    },
    setStatus(requestId, status) {
      const found = state.setStatus(requestId, status);
      const payment = found ? state.findPayment(requestId) : undefined;
      if (payment) sender.changed(payment);
      return found;
    },
  };
}
