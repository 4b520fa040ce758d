import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProblemCode } from '../../errors/app-errors.js';
import { buildProblem, PROBLEM_CONTENT_TYPE, type FieldError } from '../../errors/problem.js';
import { logRequestCompleted } from '../../observability/access-log.js';
import { REQUEST_ID_HEADER, saneRequestId } from '../../observability/logger.js';
import { API_HEADERS } from '../external/helmet.js';
import { NO_STORE, sendProblem } from './error-handler.js';
import { observeAnswer } from './metrics.js';

/*
 * Errors raised before a request reaches a route, which no hook or error handler of the app sees:
 * the router's (a path parameter too long or badly percent-encoded) and the HTTP parser's
 * (malformed request, headers too large, the request not arriving within REQUEST_TIMEOUT_MS), and
 * the two requests Node answers itself (an unknown Expect, CONNECT). They are shaped like every
 * other error, problem+json with an x-request-id and the API's security headers; only CORS headers
 * are missing where the request's Origin was never read.
 */

const ROUTER_ERRORS: Readonly<Record<string, { detail: string; errors: FieldError[] }>> = {
  FST_ERR_BAD_URL: {
    detail: 'The path is not valid percent-encoding.',
    errors: [{ path: 'path', message: 'is not valid percent-encoding' }],
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    detail: 'A path segment (such as a requestId) is far longer than any valid one.',
    errors: [{ path: 'path', message: 'has a segment far longer than any valid one' }],
  },
};

/** The headers the app's hooks would have set on an answer to `request` (security, CORS). */
export type HookHeaders = (request: FastifyRequest) => OutgoingHttpHeaders;

/**
 * Fastify's `frameworkErrors`: the router refused the path, and a request object exists. None of
 * the app's hooks run for such a request: the headers they would set come from `hookHeaders`, and
 * its access line and request metric from here too.
 */
export function frameworkErrorHandler(hookHeaders: HookHeaders = () => ({})) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const refused = ROUTER_ERRORS[error.code];
    reply.headers(hookHeaders(request)).header(REQUEST_ID_HEADER, request.id).header('cache-control', NO_STORE);
    reply.raw.once('finish', () => {
      logRequestCompleted(request, reply);
      // The metrics port's own server has no request metrics.
      if (request.server.hasDecorator('metrics')) observeAnswer(request.server.metrics, request, reply);
    });
    if (refused !== undefined) {
      sendProblem(request, reply, { code: 'validation-failed', status: 400, ...refused });
      return;
    }
    request.log.error({ err: error }, 'router error');
    sendProblem(request, reply, {
      code: 'internal-error',
      status: 500,
      detail: 'An unexpected error occurred. Quote the requestId if you contact support.',
    });
  };
}

/** A problem answered outside Fastify's reply (the parser's, or a request Node answers itself). */
type EarlyProblem = { code: ProblemCode; status: number; detail: string; errors?: FieldError[] };

/** What the HTTP parser's error codes become; anything else is a malformed request. */
const PARSER_ERRORS: Readonly<Record<string, EarlyProblem>> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: 'request-timeout',
    status: 408,
    detail: 'The request (headers and body) did not arrive in time.',
  },
  HPE_HEADER_OVERFLOW: { code: 'headers-too-large', status: 431, detail: 'The request headers are too large.' },
};

const MALFORMED: EarlyProblem = {
  code: 'malformed-request',
  status: 400,
  detail: 'The request is not well-formed HTTP/1.1.',
  errors: [{ path: 'request', message: 'is not well-formed HTTP/1.1' }],
};

/** The contract's "400 for a malformed id of any length": a path too long for Node's header limit. */
const OVERLONG_PATH: EarlyProblem = {
  code: 'validation-failed',
  status: 400,
  detail: 'The path is far longer than any valid one.',
  errors: [{ path: 'path', message: 'is far longer than any valid one' }],
};

/** Far above any valid path (a requestId is at most 100 characters), far below Node's 16 KiB header limit. */
const MAX_PLAUSIBLE_REQUEST_LINE = 4096;

type ParserError = Error & { code?: string; rawPacket?: unknown };

/** The bytes the parser refused, as text, when it kept them. */
function refusedText(error: ParserError): string | undefined {
  return Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1') : undefined;
}

/** The request line of the refused bytes, when they start with one (possibly cut short). */
function requestLineOf(text: string | undefined): string | undefined {
  if (text === undefined || !/^[A-Z]{3,10} \//.test(text)) return undefined;
  const end = text.indexOf('\r\n');
  return end === -1 ? text : text.slice(0, end);
}

function problemFor(error: ParserError, line: string | undefined): EarlyProblem {
  if (error.code === 'HPE_HEADER_OVERFLOW' && line !== undefined && line.length > MAX_PLAUSIBLE_REQUEST_LINE) return OVERLONG_PATH;
  return PARSER_ERRORS[error.code ?? ''] ?? MALFORMED;
}

/** The path of the request line, when the parser got that far and it is plain; else "/". */
function instanceOf(line: string | undefined): string {
  return (line === undefined ? undefined : /^[A-Z]{3,10} (\/[\x21-\x7e]{0,255}?)(?:\?\S*)? HTTP\/1\.[01]$/.exec(line)?.[1]) ?? '/';
}

/** The X-Request-Id among the refused bytes' header lines, when there is one and it is sane. */
function requestIdAmong(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const end = text.indexOf('\r\n\r\n');
  const headers = end === -1 ? text : text.slice(0, end);
  return saneRequestId(/\r\nx-request-id:[ \t]*([^\r\n]*?)[ \t]*(?:\r\n|$)/i.exec(headers)?.[1]);
}

/**
 * Node's own bookkeeping on a server socket: the response being written (until it finishes), and
 * its parser's message, which stays there after its answer until the message has all arrived.
 */
type ServerSocket = Socket & {
  _httpMessage?: { headersSent?: boolean; req?: IncomingMessage } | null;
  parser?: { incoming?: IncomingMessage | null } | null;
};

/**
 * Fastify's `clientErrorHandler` (bound to the instance): the parser refused the bytes, or the
 * request did not arrive in time. Answers a minimal problem+json and closes the socket. Its request
 * id is the caller's when a sane one was sent, else a fresh one; its instance the path, when known.
 */
export function handleClientError(this: FastifyInstance, error: ParserError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // A request whose headers were read (a 408 for its late body) is the socket's current one.
  const inFlight = (socket as ServerSocket)._httpMessage;
  // Or one that already had its answer (a 415 or 429 sent before its body was read, Node reading
  // the rest to drop it) and whose body never came.
  const answered = inFlight == null ? answeredBeforeItsBody(socket) : undefined;
  const read = inFlight?.req ?? answered;
  const refused = read === undefined ? refusedText(error) : undefined;
  const line = read === undefined ? requestLineOf(refused) : `${read.method ?? 'GET'} ${read.url ?? '/'} HTTP/1.1`;
  const problem = problemFor(error, line);
  const requestId = (read === undefined ? requestIdAmong(refused) : saneRequestId(read.headers[REQUEST_ID_HEADER])) ?? randomUUID();
  // Never the raw bytes: they may hold an Authorization header or a cookie.
  this.log.info({ requestId, parserError: error.code, problem: problem.code }, 'refused a request the HTTP parser could not read');
  // As Node does: never write into a response that has already started, nor answer a request
  // twice (the client would take a 408 now for the answer to its next request).
  if (!socket.writable || inFlight?.headersSent === true || answered !== undefined) {
    socket.destroy();
    return;
  }
  socket.end(rawProblemAnswer(problem, instanceOf(line), requestId), () => socket.destroy());
}

/** The request on `socket` that was answered while its body was still arriving, and whose body has not all arrived since. */
function answeredBeforeItsBody(socket: ServerSocket): IncomingMessage | undefined {
  const incoming = socket.parser?.incoming;
  return incoming?.complete === false ? incoming : undefined;
}

/** A whole HTTP/1.1 answer carrying `problem`, for a socket no response object writes to; it closes the connection. */
function rawProblemAnswer(problem: EarlyProblem, instance: string, requestId: string): string {
  const body = JSON.stringify(buildProblem({ ...problem, instance, requestId }));
  const head = [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}`,
    ...Object.entries(problemHeaders(body, requestId)).map(([name, value]) => `${name}: ${String(value)}`),
  ];
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

function problemHeaders(body: string, requestId: string): OutgoingHttpHeaders {
  return {
    // As Fastify writes it on every other answer.
    'content-type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
    [REQUEST_ID_HEADER]: requestId,
    'cache-control': NO_STORE,
    ...API_HEADERS,
    connection: 'close',
  };
}

/** The path of a request Node hands over outside Fastify, when it is plain; else "/". */
function plainPathOf(request: IncomingMessage): string {
  return instanceOf(`${request.method ?? 'GET'} ${request.url ?? '/'} HTTP/1.1`);
}

const UNMET_EXPECTATION: EarlyProblem = {
  code: 'expectation-failed',
  status: 417,
  detail: 'The Expect header asks for something this service does not do: only "Expect: 100-continue" is understood.',
};

const CONNECT_REFUSED: EarlyProblem = {
  code: 'method-not-implemented',
  status: 501,
  detail: 'CONNECT is not supported: this service is not a proxy.',
};

/**
 * Two requests Node answers itself, never reaching Fastify: an Expect header other than
 * 100-continue (Node would send a bare 417) and CONNECT (Node would close the socket without a
 * word). Both get problem+json with a request id, like every other error, and the connection closes
 * (their bodies, if any, are never read).
 */
export function answerRequestsNodeRefuses(app: FastifyInstance): void {
  /** The request's id (the caller's when sane), after logging the refusal under it. */
  const refused = (request: IncomingMessage, problem: EarlyProblem): string => {
    const requestId = saneRequestId(request.headers[REQUEST_ID_HEADER]) ?? randomUUID();
    app.log.info({ requestId, method: request.method, problem: problem.code }, 'refused a request Node answers itself');
    return requestId;
  };
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const requestId = refused(request, UNMET_EXPECTATION);
    const body = JSON.stringify(buildProblem({ ...UNMET_EXPECTATION, instance: plainPathOf(request), requestId }));
    response.writeHead(UNMET_EXPECTATION.status, problemHeaders(body, requestId)).end(body);
  });
  app.server.on('connect', (request: IncomingMessage, socket: Duplex) => {
    const requestId = refused(request, CONNECT_REFUSED);
    // CONNECT's target is host:port, not a path.
    socket.end(rawProblemAnswer(CONNECT_REFUSED, '/', requestId), () => socket.destroy());
  });
}
