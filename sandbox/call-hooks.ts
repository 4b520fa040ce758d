import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { rawBodyOf } from './body.js';
import type { RecordedCall, SandboxFault, SandboxStep } from './calls.js';
import { originalUrlOf } from './case-insensitive-paths.js';
import type { ControlInternals } from './control.js';
import { sendProblem } from './problem.js';

/*
 * Route-level hooks that record each API call and apply injected faults. Faults run in
 * preValidation: after the body is read (so a faulted call still records its raw body) and before
 * any auth or validation (a fault replaces normal handling entirely). Test triggers (scenarios.ts)
 * apply the same faults from inside the handlers, after validation.
 */

export interface CallHookOptions {
  /** Longest a hang holds its connection before dropping it, so forgotten hangs cannot pile up. */
  hangLimitMs: number;
}

/** Bodies that are valid JSON but break the documented response shapes in a telling way. */
const INVALID_BODIES: Record<SandboxStep, unknown> = {
  authorize: { access_token: '', token_type: 'mac', expires_in: -1 },
  initiate: { sessionId: '../../evil', referenceId: 'x' },
  paymentrequest: { requestId: '../../evil' },
  status: { requestId: '../../evil', status: 'Exploded' },
};

function flatHeaders(request: FastifyRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export function createCallHooks(control: ControlInternals, { hangLimitMs }: CallHookOptions) {
  const calls = new WeakMap<FastifyRequest, RecordedCall>();
  // Hung and delayed requests hold their socket open; server.close() would wait for them.
  const hung = new Set<Socket>();
  const closing = new AbortController();
  // Every delayed call waits on this one signal, and its listener goes when the wait ends: many at
  // once under load is expected, not the leak node warns about past ten.
  setMaxListeners(0, closing.signal);

  function record(step: SandboxStep, request: FastifyRequest): RecordedCall {
    const existing = calls.get(request);
    if (existing) return existing;
    const call: RecordedCall = {
      step,
      method: request.method,
      path: originalUrlOf(request),
      headers: flatHeaders(request),
      rawBody: rawBodyOf(request),
      statusCode: 0,
    };
    calls.set(request, call);
    control.record(call);
    return call;
  }

  function answerClosing(reply: FastifyReply): true {
    sendProblem(reply, 503, 'Sandbox is closing.');
    return true;
  }

  /** True when the fault answered (or hijacked) the call, false when normal handling continues. */
  async function applyFault(step: SandboxStep, fault: SandboxFault, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    switch (fault.kind) {
      case 'status': {
        if (fault.body === undefined) sendProblem(reply, fault.status, 'Injected fault.');
        else
          void reply
            .code(fault.status)
            .type(fault.contentType ?? 'application/json')
            .send(fault.body);
        return true;
      }
      case 'garbage':
        void reply.code(200).type('text/html; charset=utf-8').send('<html>oops');
        return true;
      case 'invalid':
        void reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(INVALID_BODIES[step]));
        return true;
      case 'hang': {
        // Closing already: hanging now would block close(), so answer as a closing server would.
        if (closing.signal.aborted) return answerClosing(reply);
        reply.hijack();
        const socket = request.raw.socket;
        hung.add(socket);
        const limit = setTimeout(() => socket.destroy(), hangLimitMs).unref();
        socket.once('close', () => {
          clearTimeout(limit);
          hung.delete(socket);
        });
        return true;
      }
      case 'delay':
        try {
          await sleep(fault.ms, undefined, { signal: closing.signal, ref: false });
        } catch {
          // Only the abort on close rejects the sleep.
          return answerClosing(reply);
        }
        return false;
    }
  }

  return {
    hooksFor(step: SandboxStep) {
      return {
        preValidation: async (request: FastifyRequest, reply: FastifyReply) => {
          // Recording and hijacking stay synchronous, so a waitForCall() resolution for a hung
          // call already finds its socket tracked.
          record(step, request);
          const fault = control.takeFault(step);
          if (fault && (await applyFault(step, fault, request, reply))) return reply;
          return undefined;
        },
        // Calls rejected before preValidation (e.g. body too large) are recorded here instead.
        onResponse: (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
          record(step, request).statusCode = reply.statusCode;
          done();
        },
      };
    },
    applyFault,
    /** For a preClose hook: runs before the server stops accepting and waits for connections. */
    releaseHeldRequests(): void {
      closing.abort();
      for (const socket of hung) socket.destroy();
      hung.clear();
    },
  };
}
