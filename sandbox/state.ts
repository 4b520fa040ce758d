import { randomUUID } from 'node:crypto';
import type { InitiateSessionRequest, PaymentStatus } from '../src/upstream/flinks-pay/schemas.js';
import { BoundedMap } from './bounded-map.js';
import { statusAt, type Decision, type Timeline } from './progression.js';
import { approvalOutcomeFor, expiresEarly } from './scenarios.js';

/*
 * Tokens, sessions and payment requests of one sandbox instance. Everything is in memory,
 * bounded and expiring, so a long-running standalone sandbox cannot grow without limit. The
 * shopper's decision lives on its payment record, so it is bounded and expires with it.
 */

export interface TokenRecord {
  token: string;
  expiresAt: number;
  /** Set once the token has initiated its one session (Flinks: one token per session). */
  sessionId?: string;
}

export interface SessionRecord {
  sessionId: string;
  token: string;
  request: InitiateSessionRequest;
  /** The amount exactly as the caller wrote it in JSON, e.g. "250.00". */
  amountLiteral: string;
  expiresAt: number;
  requestId?: string;
}

export interface PaymentRecord extends Timeline {
  requestId: string;
  sessionId: string;
  referenceId: string;
  /** The session's amount literal, which picks test triggers on status reads. */
  amountLiteral: string;
  expiresAt: number;
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
  /** Time between the statuses of an approval (Processing → Accepted → Processed → Settled). */
  stepMs: number;
  /** Time after which a payment request nobody decided on is Expired. */
  expiryMs: number;
}

export type SandboxState = ReturnType<typeof createSandboxState>;

export function createSandboxState(opts: SandboxStateOptions) {
  const { now } = opts;
  const tokens = new BoundedMap<TokenRecord>(opts.maxEntries, now);
  const sessions = new BoundedMap<SessionRecord>(opts.maxEntries, now);
  const payments = new BoundedMap<PaymentRecord>(opts.maxEntries, now);
  const recordExpiry = (): number => now() + opts.recordTtlSeconds * 1000;
  const statusOf = (payment: PaymentRecord): PaymentStatus =>
    payment.forcedStatus ?? statusAt(payment, now(), opts.stepMs);

  return {
    now,
    tokenTtlSeconds: opts.tokenTtlSeconds,
    sizes: () => ({ tokens: tokens.size, sessions: sessions.size, payments: payments.size }),

    issueToken(): TokenRecord {
      const record = { token: randomUUID(), expiresAt: now() + opts.tokenTtlSeconds * 1000 };
      tokens.set(record.token, record);
      return record;
    },
    findToken: (token: string): TokenRecord | undefined => tokens.get(token),

    /** Binds the session to the token, which can never initiate another one. */
    createSession(token: TokenRecord, request: InitiateSessionRequest, amountLiteral: string): SessionRecord {
      const sessionId = randomUUID();
      const session = { sessionId, token: token.token, request, amountLiteral, expiresAt: recordExpiry() };
      sessions.set(session.sessionId, session);
      token.sessionId = session.sessionId;
      return session;
    },
    findSession: (sessionId: string): SessionRecord | undefined => sessions.get(sessionId),

    createPayment(session: SessionRecord): PaymentRecord {
      const { lastName, referenceId } = session.request;
      const payment: PaymentRecord = {
        requestId: randomUUID(),
        sessionId: session.sessionId,
        referenceId,
        amountLiteral: session.amountLiteral,
        expiresAt: recordExpiry(),
        createdAt: now(),
        expiresAfterMs: expiresEarly(lastName) ? opts.stepMs : opts.expiryMs,
        approvalOutcome: approvalOutcomeFor(lastName),
      };
      payments.set(payment.requestId, payment);
      session.requestId = payment.requestId;
      return payment;
    },
    findPayment: (requestId: string): PaymentRecord | undefined => payments.get(requestId),
    /** The session's payment request; undefined before POST /paymentrequests (or once expired). */
    paymentOf: (session: SessionRecord): PaymentRecord | undefined =>
      session.requestId === undefined ? undefined : payments.get(session.requestId),

    statusOf,

    /** Records the shopper's decision; undefined when the request is no longer Initiated. */
    decide(payment: PaymentRecord, kind: Decision, institution: string | undefined): PaymentStatus | undefined {
      if (statusOf(payment) !== 'Initiated') return undefined;
      payment.decision = { kind, at: now() };
      payment.institution = institution;
      return statusOf(payment);
    },

    setStatus(requestId: string, status: PaymentStatus): boolean {
      const payment = payments.get(requestId);
      if (!payment) return false;
      payment.forcedStatus = status;
      return true;
    },
  };
}
