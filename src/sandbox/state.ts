import { randomUUID } from 'node:crypto';
import type { InitiateSessionRequest, PaymentStatus } from '../upstream/flinks-pay/schemas.js';
import { BoundedMap } from './bounded-map.js';

/*
 * Tokens, sessions and payment requests of one sandbox instance. Everything is in memory,
 * bounded and expiring, so a long-running standalone sandbox cannot grow without limit.
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

export interface PaymentRecord {
  requestId: string;
  sessionId: string;
  referenceId: string;
  status: PaymentStatus;
  expiresAt: number;
}

export interface SandboxStateOptions {
  now: () => number;
  tokenTtlSeconds: number;
  recordTtlSeconds: number;
  maxEntries: number;
}

export type SandboxState = ReturnType<typeof createSandboxState>;

export function createSandboxState(opts: SandboxStateOptions) {
  const { now } = opts;
  const tokens = new BoundedMap<TokenRecord>(opts.maxEntries, now);
  const sessions = new BoundedMap<SessionRecord>(opts.maxEntries, now);
  const payments = new BoundedMap<PaymentRecord>(opts.maxEntries, now);
  const recordExpiry = (): number => now() + opts.recordTtlSeconds * 1000;

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
      const payment: PaymentRecord = {
        requestId: randomUUID(),
        sessionId: session.sessionId,
        referenceId: session.request.referenceId,
        status: 'Initiated',
        expiresAt: recordExpiry(),
      };
      payments.set(payment.requestId, payment);
      session.requestId = payment.requestId;
      return payment;
    },
    findPayment: (requestId: string): PaymentRecord | undefined => payments.get(requestId),

    setStatus(requestId: string, status: PaymentStatus): boolean {
      const payment = payments.get(requestId);
      if (!payment) return false;
      payment.status = status;
      return true;
    },
  };
}
