import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  CheckoutInterruptedError,
  IdempotencyInFlightError,
  IdempotencyMismatchError,
  IdempotencyUnavailableError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
} from '../../errors/app-errors.js';
import { bodyBoundSlot, type Claim, type ClaimOutcome, fingerprintOf, type IdempotencyStore, type StoredResponse } from '../../checkout/idempotency-store.js';
import { StoreFullError, StoreUnavailableError } from '../../store/shared-store.js';
import type { StoreRetries } from '../../store/store-retries.js';
import { clientKeyOf } from '../external/rate-limit.js';
import { PROBLEM_CONTENT_TYPE } from '../../errors/problem.js';
import { problemAnswer } from './error-handler.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const REPLAYED_HEADER = 'idempotent-replayed';
/** The store writes an answer it failed again every second; a retry this much later finds it once the store is back. */
const UNKEPT_RETRY_AFTER_SECONDS = '2';

/** What the key came from: the Idempotency-Key header, or the jti of a signed intent (`intent:<jti>`). */
export type IdempotencySource = 'header' | 'intent';

const STORE_FULL =
  'This instance holds as many Idempotency-Keys as it can keep (no shared store is configured); new keys are taken again as older ones expire. Retry later.';
const INTENT_IN_FLIGHT = 'A checkout with this intent is still being processed; retry in a moment to get its result.';
const INTENT_REUSED = "This intent's jti was already used for a checkout with another amount, referenceId or customer; each checkout needs a new intent.";
const INTENT_INTERRUPTED =
  'The checkout first sent with this intent was cut off before it answered (the instance running it stopped), so ' +
  'whether Flinks Pay made its payment request is unknown; none was handed out. Start the checkout again with a new intent.';

interface RequestClaim {
  claim: Claim;
  /** Set when the request failed once Flinks was called (its 502 or 504): keep its answer. */
  keepFailure: boolean;
}

/** What a claim's request waits to write is named by the request, not the slot: another request's write to the slot must not replace it. */
const retryNameOf = (claim: Claim): string => `${claim.slot}#${claim.owner}`;

/** Failures whose answer a retry gets again: once Flinks was called, a retry must not call it again. */
function isKeptFailure(error: unknown): boolean {
  return error instanceof UpstreamRejectedError || error instanceof UpstreamTimeoutError || error instanceof CheckoutInterruptedError;
}

/**
 * Idempotency-Key semantics for POST /checkout (modelled on the best-known payment APIs):
 * same key + same body → the first response again, no upstream call; same key + other body from
 * the same client → 422; same key while the first runs → 409. Every answer made once Flinks was
 * called is kept, a 502 or 504 too: a retry gets the first response, whichever step failed. Refusals
 * before any call (bad input, load shed, an open circuit) are forgotten, so the key can be retried.
 * A header key is bound to its body (see bodyBoundSlot and docs/reliability.md).
 *
 * A claim is never taken as if it were free once its request may have reached Flinks: a request
 * that stops before answering leaves its claim, which a retry answers with a kept 504
 * (checkout-interrupted) once the claim's lease is over. Store writes that fail are tried again.
 */
export function createCheckoutIdempotency(store: IdempotencyStore, retries: StoreRetries, onReplay: () => void) {
  const claims = new WeakMap<FastifyRequest, RequestClaim>();
  /** Claims of this process whose request has not answered yet (ended at once on a forced exit). */
  const inFlight = new Set<Claim>();

  /**
   * A store write that must happen: tried now, and again later while the store fails it. Resolves
   * to what the first attempt resolved to, or undefined when it failed.
   */
  async function mustWrite<T>(claim: Claim, write: () => Promise<T>, request: FastifyRequest): Promise<T | undefined> {
    try {
      return await write();
    } catch (error) {
      // Whatever a later attempt resolves to, it is done (a false would tell the retries "not yet").
      const again = async (): Promise<void> => {
        await write();
      };
      if (!retries.add(retryNameOf(claim), again)) {
        request.log.error({ err: error }, 'could not record the outcome of an idempotent checkout; too many store writes are waiting');
        return undefined;
      }
      request.log.error({ err: error }, 'could not record the outcome of an idempotent checkout; written once the store takes it');
      return undefined;
    }
  }

  async function claimOf(request: FastifyRequest, key: string, claim: Claim, isIntent: boolean): Promise<ClaimOutcome> {
    try {
      return isIntent ? await store.claim(claim) : await store.bindAndClaim(key, clientKeyOf(request), claim);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      // The store may still carry the claim out (a command that timed out here, not in Redis):
      // give it back once the store answers, so it does not hold the key for a lease.
      if (!retries.add(retryNameOf(claim), () => store.release(claim))) {
        request.log.error({ err: error }, 'could not give back an idempotency claim; too many store writes are waiting');
      }
      throw new IdempotencyUnavailableError({ cause: error, ...(error instanceof StoreFullError && { detail: STORE_FULL }) });
    }
  }

  return {
    /** Claims the key, or sends the stored response and returns true when this is a replay. */
    async begin(request: FastifyRequest, reply: FastifyReply, { key, source, subject = request.body }: IdempotencyKeyed): Promise<boolean> {
      const isIntent = source === 'intent';
      const fingerprint = fingerprintOf(subject);
      // A header key reaches only the answer made for the same body; the 422 of a reused key is
      // judged per client address, so someone else's use of the key never blocks this one.
      const slot = isIntent ? key : bodyBoundSlot(key, fingerprint);
      const claim = store.newClaim(slot, fingerprint);
      // In flight from the moment it is asked for: a forced exit while the store takes it (a stalled
      // Redis) ends its lease too, instead of leaving the key answering 409 for the whole lease.
      inFlight.add(claim);
      let outcome: ClaimOutcome;
      try {
        outcome = await claimOf(request, key, claim, isIntent);
      } finally {
        inFlight.delete(claim);
      }
      if (outcome.kind === 'in-flight') throw new IdempotencyInFlightError(isIntent ? INTENT_IN_FLIGHT : undefined);
      if (outcome.kind === 'mismatch') throw new IdempotencyMismatchError(isIntent ? INTENT_REUSED : undefined);
      if (outcome.kind === 'replay') {
        onReplay();
        sendStored(reply, outcome.response);
        return true;
      }
      claims.set(request, { claim: outcome.claim, keepFailure: false });
      inFlight.add(outcome.claim);
      // This request now holds an abandoned claim: its answer, kept, is that the first was cut off.
      if (outcome.kind === 'abandoned') throw new CheckoutInterruptedError(isIntent ? INTENT_INTERRUPTED : undefined);
      return false;
    },

    /** onError hook: decides whether a failure's answer is kept for retries. */
    onError(request: FastifyRequest, error: unknown): void {
      const held = claims.get(request);
      if (held) held.keepFailure = isKeptFailure(error);
    },

    /**
     * onSend hook: stores the answer (before it leaves, so a quick retry already sees it) or releases
     * the key; resolves to the payload to send. A new checkout whose answer is not in the store is
     * not handed out (a 503 instead): were this instance to die before the store takes it, retries
     * of the key would be told the checkout was cut off and none handed out, and start a second one.
     */
    async onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
      const held = claims.get(request);
      if (!held) return payload;
      claims.delete(request);
      const { claim } = held;
      inFlight.delete(claim);
      if (reply.statusCode === 201 && typeof payload !== 'string') {
        // Never so with the route's JSON answer; but a new checkout's key must not be freed (a retry
        // would pay again): the claim stays, and retries are answered as cut off once its lease ends.
        request.log.error('the answer of a new checkout is not text, so it cannot be kept under its key; the key stays claimed');
        return payload;
      }
      if (!((reply.statusCode === 201 || held.keepFailure) && typeof payload === 'string')) {
        await mustWrite(claim, () => store.release(claim), request);
        return payload;
      }
      const location = reply.getHeader('location');
      const response: StoredResponse = {
        statusCode: reply.statusCode,
        contentType: String(reply.getHeader('content-type')),
        ...(typeof location === 'string' ? { location } : {}),
        body: payload,
      };
      const kept = await mustWrite(
        claim,
        async () => {
          const done = await store.complete(claim, response);
          if (!done) request.log.warn('the answer of an idempotent checkout was not kept: its claim had run out and was answered as interrupted');
          return done;
        },
        request,
      );
      if (reply.statusCode !== 201 || kept === true) return payload;
      const problem = problemAnswer(request, reply, {
        code: 'idempotency-unavailable',
        status: 503,
        detail: 'The checkout could not be kept for retries, so it is not handed out: send the same request again shortly to receive the answer kept for it.',
      });
      // The payload is a string from here on, so the charset Fastify adds when it serialises is written here.
      reply.removeHeader('location').header('retry-after', UNKEPT_RETRY_AFTER_SECONDS).header('content-type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
      return JSON.stringify(problem);
    },

    /**
     * For a forced exit (the shutdown window ran out): ends the claims of requests that will now
     * never answer, so a retry with the same key hears at once that the checkout was cut off
     * (instead of 409 until the lease runs out); whether Flinks made their payment requests is
     * unknown, so the keys are not freed. Then makes one last attempt at the writes still waiting.
     */
    async abandonInFlight(): Promise<number> {
      const pending = [...inFlight];
      inFlight.clear();
      const results = await Promise.allSettled(pending.map((claim) => store.abandon(claim)));
      await retries.flush();
      return results.filter((result) => result.status === 'fulfilled').length;
    },

    /** One last attempt at the store writes still waiting (on shutdown); resolves to how many are left. */
    flush: () => retries.flush(),
  };
}

function sendStored(reply: FastifyReply, stored: StoredResponse): void {
  reply.code(stored.statusCode).header('content-type', stored.contentType).header(REPLAYED_HEADER, 'true');
  if (stored.location) reply.header('location', stored.location);
  // A string with a JSON content type is sent as is, never re-serialised: byte for byte the first answer.
  void reply.send(stored.body);
}

export interface IdempotencyKeyed {
  key: string;
  source: IdempotencySource;
  /**
   * What makes a later request the same one as the first (its answer replayed, not a 422); the body
   * when absent. A signed intent's checkout is its verified amount, referenceId and customer, not
   * the token's bytes: the same intent signed again (a later `exp`) is the same checkout.
   */
  subject?: unknown;
}
