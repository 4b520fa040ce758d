import t from 'tap';
import { pino, stdSerializers } from 'pino';
import { redactionOptions } from '../../src/observability/redaction.js';
import { captureLogs } from '../support/build.js';

const KEYS = ['authorization', 'token', 'customer', 'email', 'body', 'secret'];

/** What the service configured before: pino's own redact with the same keys at three depths. */
function pinoRedactLogger(stream: NodeJS.WritableStream) {
  const paths = [...KEYS, ...KEYS.map((k) => `*.${k}`), ...KEYS.map((k) => `*.*.${k}`)];
  return pino({ level: 'trace', base: null, timestamp: false, redact: { paths, censor: '[redacted]' }, serializers: { err: stdSerializers.err } }, stream);
}

function censoringLogger(stream: NodeJS.WritableStream) {
  return pino({ level: 'trace', base: null, timestamp: false, ...redactionOptions(KEYS) }, stream);
}

class WithDetails extends Error {
  token = 'tok-in-error';
  details = { authorization: 'Basic abc', nested: { email: 'e@example.com', safe: 1 } };
}

const LINES: [object, string][] = [
  [{ upstream: { step: 'authorize', status: 200, durationMs: 1.5 } }, 'nothing to censor'],
  [{ token: 'top-level', email: undefined, keep: 'yes' }, 'top level'],
  [{ upstream: { authorization: 'Bearer x', headers: { authorization: 'Bearer y', accept: 'json' } } }, 'two levels'],
  [{ a: { b: { c: { token: 'too deep, kept as before' } } } }, 'below the third level'],
  [{ list: [{ token: 'in an array' }, 'plain'], pairs: [['token', 'x']] }, 'arrays'],
  [{ err: new WithDetails('boom') }, 'an error with secret members'],
  [{ checkout: { customer: { firstName: 'Jane' }, body: 'raw' } }, 'personal data'],
];

t.test('the censor writes the same lines as pino redact with the paths K, *.K and *.*.K', async (t) => {
  const before = captureLogs();
  const after = captureLogs();
  const old = pinoRedactLogger(before.stream);
  const current = censoringLogger(after.stream);
  for (const [line, message] of LINES) {
    old.info(line, message);
    current.info(line, message);
  }
  old.child({ token: 'bound', requestId: 'r-1' }).warn({ body: 'b', upstream: { token: 't' } }, 'child bindings');
  current.child({ token: 'bound', requestId: 'r-1' }).warn({ body: 'b', upstream: { token: 't' } }, 'child bindings');
  await new Promise((resolve) => setImmediate(resolve));
  const parse = (lines: string[]) => lines.map((line) => JSON.parse(line) as unknown);
  t.same(parse(after.lines()), parse(before.lines()));
  t.equal(after.lines().length, LINES.length + 1);
});

t.test("the caller's objects are never changed", (t) => {
  const logs = captureLogs();
  const logger = censoringLogger(logs.stream);
  const line = { upstream: { authorization: 'Bearer x' }, list: [{ token: 't' }] };
  logger.info(line, 'x');
  t.same(line, { upstream: { authorization: 'Bearer x' }, list: [{ token: 't' }] });
  t.match(logs.lines()[0] ?? '', /"authorization":"\[redacted\]"/);
  t.end();
});
