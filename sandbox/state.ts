import { randomUUID } from 'node:crypto';
import { isOpen, statusAt, type Decision, type Timeline } from './progression.js';
import { createRecordStore } from './record-store.js';
import { approvalOutcomeFor, expiresEarly } from './scenarios.js';
import { paymentReferenceNumber } from './status-shapes.js';
import type { PaymentStatus } from './statuses.js';
import type { InitiateSessionRequest } from './wire.js';

/*
 * Tokens, sessions and payment requests of one sandbox instance. Everything is in memory,
 * bounded and expiring (record-store.ts). The shopper's progress and decision live on the payment
 * record, so they are bounded and expire with it.
 */

export interface TokenRecord {
  token: string;
  /** Set once the token has initiated its one session (Flinks: one token per session). */
  sessionId?: string;
}

export interface SessionRecord {
  sessionId: string;
  token: string;
  request: InitiateSessionRequest;
  /** The amount exactly as the caller wrote it in JSON, e.g. "250.00". */
  amountLiteral: string;
  requestId?: string;
}

export interface PaymentRecord extends Timeline {
  requestId: string;
  sessionId: string;
  referenceId: string;
  /** The later status sample's `paymentReferenceNumber`, e.g. FLK-20260415-001. */
  paymentReferenceNumber: string;
  /** The session's amount literal, which picks test triggers on status reads. */
  amountLiteral: string;
  /** Institution id the shopper picked on the app page. */
  institution?: string;
  /** Set by control.setStatus; wins over the timeline from then on. */
  forcedStatus?: PaymentStatus;
}

export interface SandboxStateOptions {
  now: () => number;
  tokenTtlSeconds: number;
  recordTtlSeconds: number;
  maxEntries: number;
  /** Time between the statuses of an approval (Accepted → Processed → Settled). */
  stepMs: number;
  /** Time after which a payment request nobody decided on is Expired. */
  expiryMs: number;
}

export type SandboxState = ReturnType<typeof createSandboxState>;

export function createSandboxState(opts: SandboxStateOptions) {
  const { now, maxEntries: max } = opts;
  const recordTtlMs = opts.recordTtlSeconds * 1000;
  const tokens = createRecordStore<TokenRecord>({ max, ttlMs: opts.tokenTtlSeconds * 1000, now });
  const sessions = createRecordStore<SessionRecord>({ max, ttlMs: recordTtlMs, now });
  const payments = createRecordStore<PaymentRecord>({ max, ttlMs: recordTtlMs, now });
  let paymentCount = 0;
  /** The payment's status now, or at another moment of its timeline (`at`, epoch ms). */
  const statusOf = (payment: PaymentRecord, at = now()): PaymentStatus => payment.forcedStatus ?? statusAt(payment, at, opts.stepMs);
  const isPaymentOpen = (payment: PaymentRecord): boolean => isOpen(payment, statusOf(payment));

  return {
    now,
    tokenTtlSeconds: opts.tokenTtlSeconds,
    sizes: () => ({ tokens: tokens.size, sessions: sessions.size, payments: payments.size }),

    issueToken(): TokenRecord {
      const record = { token: randomUUID() };
      tokens.set(record.token, record);
      return record;
    },
    findToken: (token: string): TokenRecord | undefined => tokens.get(token),

    /** Binds the session to the token, which can never initiate another one. */
    createSession(token: TokenRecord, request: InitiateSessionRequest, amountLiteral: string): SessionRecord {
      const session = { sessionId: randomUUID(), token: token.token, request, amountLiteral };
      sessions.set(session.sessionId, session);
      token.sessionId = session.sessionId;
      return session;
    },
    findSession: (sessionId: string): SessionRecord | undefined => sessions.get(sessionId.toLowerCase()),

    createPayment(session: SessionRecord): PaymentRecord {
      const { customerName, referenceId } = session.request;
      paymentCount += 1;
      const payment: PaymentRecord = {
        requestId: randomUUID(),
        sessionId: session.sessionId,
        referenceId,
        paymentReferenceNumber: paymentReferenceNumber(now(), paymentCount),
        amountLiteral: session.amountLiteral,
        createdAt: now(),
        expiresAfterMs: expiresEarly(customerName) ? opts.stepMs : opts.expiryMs,
        approvalOutcome: approvalOutcomeFor(customerName),
      };
      payments.set(payment.requestId, payment);
      session.requestId = payment.requestId;
      return payment;
    },
    findPayment: (requestId: string): PaymentRecord | undefined => payments.get(requestId.toLowerCase()),
    /** The session's payment request; undefined before POST /paymentrequests (or once expired). */
    paymentOf: (session: SessionRecord): PaymentRecord | undefined => (session.requestId === undefined ? undefined : payments.get(session.requestId)),

    statusOf,
    isOpen: isPaymentOpen,

    /** The shopper opened the request in the app: Processing from now on. Undefined when closed. */
    start(payment: PaymentRecord): PaymentStatus | undefined {
      if (!isPaymentOpen(payment)) return undefined;
      payment.startedAt ??= now();
      return statusOf(payment);
    },

    /** Records the shopper's decision; undefined when the request is no longer open. */
    decide(payment: PaymentRecord, kind: Decision, institution: string | undefined): PaymentStatus | undefined {
      if (!isPaymentOpen(payment)) return undefined;
      payment.startedAt ??= now();
      payment.decision = { kind, at: now() };
      payment.institution = institution;
      return statusOf(payment);
    },

    setStatus(requestId: string, status: PaymentStatus): boolean {
      const payment = payments.get(requestId.toLowerCase());
      if (!payment) return false;
      payment.forcedStatus = status;
      return true;
    },
  };
}
