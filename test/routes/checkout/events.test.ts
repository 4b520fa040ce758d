import t from 'tap';
import { request } from 'undici';
import { listening, newCheckout, type RunningSandbox } from '../../support/build.js';
import { until } from '../../support/net.js';

interface StatusEvent {
  status: string;
  final: boolean;
  requestId: string;
}

/** Opens the stream and yields each SSE frame (events and comments) as it arrives. */
async function openStream(url: string) {
  const res = await request(url, { headers: { accept: 'text/event-stream' } });
  const frames: string[] = [];
  let buffer = '';
  let notify: (() => void) | undefined;
  const ended = (async () => {
    for await (const chunk of res.body) {
      buffer += (chunk as Buffer).toString('utf8');
      const parts = buffer.split('\n\n');
      buffer = parts.pop() ?? '';
      frames.push(...parts);
      notify?.();
    }
  })();
  const statuses = () =>
    frames.filter((frame) => frame.includes('event: status')).map((frame) => JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? '{}') as StatusEvent);
  async function waitFor(predicate: () => boolean): Promise<void> {
    while (!predicate()) await new Promise<void>((resolve) => (notify = resolve));
  }
  /** Hangs up, as a browser tab closing would. */
  async function hangUp(): Promise<void> {
    res.body.destroy();
    await ended.catch(() => undefined);
  }
  return { res, frames, statuses, ended, waitFor, hangUp };
}

function statusCalls(sandbox: RunningSandbox) {
  return sandbox.control.calls.filter((call) => call.step === 'status').length;
}

t.test('GET /checkout/{id}/events sends the status at once, on every change, and ends at a final status', async (t) => {
  const { app, sandbox, url } = await listening(t);
  const requestId = await newCheckout(app);
  const stream = await openStream(`${url}/checkout/${requestId}/events`);
  t.equal(stream.res.statusCode, 200);
  t.match(stream.res.headers['content-type'], /^text\/event-stream/);
  t.ok(stream.res.headers['x-request-id']);
  await stream.waitFor(() => stream.statuses().length === 1);
  sandbox.control.setStatus(requestId, 'Processing');
  await stream.waitFor(() => stream.statuses().length === 2);
  sandbox.control.setStatus(requestId, 'Accepted');
  await stream.waitFor(() => stream.statuses().length === 3);
  sandbox.control.setStatus(requestId, 'Settled');
  await stream.ended;
  t.same(
    stream.statuses().map((event) => [event.status, event.final]),
    [
      ['Initiated', false],
      ['Processing', false],
      ['Accepted', false],
      ['Settled', true],
    ],
  );
  t.equal(stream.statuses()[0]?.requestId, requestId);
});

t.test('100 clients following one checkout cause one upstream poll per interval', async (t) => {
  // All 100 come from one address, within the default MAX_EVENT_STREAMS_PER_CLIENT.
  const { app, sandbox, url } = await listening(t, { STATUS_POLL_INTERVAL_MS: '200' });
  const requestId = await newCheckout(app);
  sandbox.control.reset();
  const opened = Date.now();
  const streams = await Promise.all(Array.from({ length: 100 }, () => openStream(`${url}/checkout/${requestId}/events`)));
  await Promise.all(streams.map((s) => s.waitFor(() => s.statuses().length === 1)));
  const intervals = Math.floor((Date.now() - opened) / 200);
  t.ok(statusCalls(sandbox) <= 1 + intervals, `one read opened the watch for all 100 clients (${statusCalls(sandbox)} reads in ${intervals} intervals)`);
  await sandbox.control.waitForCall('status', 6);
  sandbox.control.setStatus(requestId, 'Declined');
  await Promise.all(streams.map((s) => s.ended));
  const polls = sandbox.control.calls.filter((call) => call.step === 'status');
  t.ok(polls.length >= 6 && polls.length <= 8, `${polls.length} status calls in all`);
  for (const s of streams)
    t.same(
      s.statuses().map((e) => e.status),
      ['Initiated', 'Declined'],
    );
});

t.test('GET /checkout/{id}/events answers 404 problem+json for an unknown checkout, without a stream', async (t) => {
  const { url } = await listening(t);
  const res = await request(`${url}/checkout/00000000-0000-4000-8000-000000000000/events`);
  t.equal(res.statusCode, 404);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.match(await res.body.json(), { status: 404, title: 'Checkout not found' });
});

t.test('GET /checkout/{id}/events: past its 404 budget a client still follows its own checkout, while its guesses answer 429', async (t) => {
  const { app, url } = await listening(t, { STATUS_NOT_FOUND_LIMIT: '2' });
  const requestId = await newCheckout(app);
  const guess = (i: number) => request(`${url}/checkout/00000000-0000-4000-8000-00000000000${i}/events`);
  for (const i of [1, 2]) t.equal((await guess(i)).statusCode, 404);
  const refused = await guess(3);
  t.equal(refused.statusCode, 429, 'the budget is spent');
  t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After');
  await refused.body.dump();
  const stream = await openStream(`${url}/checkout/${requestId}/events`);
  t.equal(stream.res.statusCode, 200, 'its own checkout still streams');
  await stream.waitFor(() => stream.statuses().length > 0);
  t.equal(stream.statuses()[0]?.status, 'Initiated');
  await stream.hangUp();
  t.equal((await guess(4)).statusCode, 429, 'and guesses stay refused');
});

t.test('GET /checkout/{id}/events on a final checkout sends one event and ends', async (t) => {
  const { app, sandbox, url } = await listening(t);
  const requestId = await newCheckout(app);
  sandbox.control.setStatus(requestId, 'Expired');
  const stream = await openStream(`${url}/checkout/${requestId}/events`);
  await stream.ended;
  t.same(
    stream.statuses().map((e) => e.status),
    ['Expired'],
  );
});

t.test('GET /checkout/{id}/events sends heartbeats while nothing changes', async (t) => {
  const { app, url } = await listening(t, { SSE_HEARTBEAT_MS: '1000' });
  const requestId = await newCheckout(app);
  const stream = await openStream(`${url}/checkout/${requestId}/events`);
  await stream.waitFor(() => stream.frames.some((frame) => frame.startsWith(':')));
  t.pass('a comment frame arrived');
  await stream.hangUp();
});

t.test('closing the server ends open streams promptly', async (t) => {
  const { app, url } = await listening(t);
  const requestId = await newCheckout(app);
  const stream = await openStream(`${url}/checkout/${requestId}/events`);
  await stream.waitFor(() => stream.statuses().length === 1);
  const started = Date.now();
  await app.close();
  await stream.ended;
  t.ok(Date.now() - started < 2000, 'close() did not wait for the stream');
});

t.test('a poll that Flinks answers 404 for (a replica behind) does not end the stream: the next status still arrives', async (t) => {
  const { app, sandbox, url } = await listening(t);
  const requestId = await newCheckout(app);
  const stream = await openStream(`${url}/checkout/${requestId}/events`);
  await stream.waitFor(() => stream.statuses().length === 1);
  const before = statusCalls(sandbox);
  sandbox.control.inject('status', { kind: 'status', status: 404 }, 2);
  await until('both 404s were answered', () => statusCalls(sandbox) >= before + 2);
  sandbox.control.setStatus(requestId, 'Processing');
  const first = await Promise.race([
    stream.ended.then(() => 'the stream ended'),
    stream.waitFor(() => stream.statuses().length === 2).then(() => 'Processing arrived'),
  ]);
  t.equal(first, 'Processing arrived');
  sandbox.control.setStatus(requestId, 'Settled');
  await stream.ended;
  t.same(
    stream.statuses().map((event) => event.status),
    ['Initiated', 'Processing', 'Settled'],
  );
});

t.test('closing the server while a stream waits for its first status: the stream gets it, then ends', async (t) => {
  const { app, url, sandbox } = await listening(t);
  const requestId = await newCheckout(app);
  sandbox.control.reset();
  sandbox.control.inject('status', { kind: 'delay', ms: 600 });
  const opening = openStream(`${url}/checkout/${requestId}/events`);
  await sandbox.control.waitForCall('status');
  const closing = app.close();
  const stream = await opening;
  await stream.ended;
  t.same(
    stream.statuses().map((event) => event.status),
    ['Initiated'],
    'the first status, then the end',
  );
  await closing;
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(statusCalls(sandbox), 1, 'no poll after the stream ended');
});

t.test('too many followed checkouts answer 503 with Retry-After', async (t) => {
  const { app, url } = await listening(t, { MAX_WATCHED_CHECKOUTS: '1' });
  const first = await openStream(`${url}/checkout/${await newCheckout(app)}/events`);
  await first.waitFor(() => first.statuses().length === 1);
  const res = await request(`${url}/checkout/${await newCheckout(app)}/events`);
  t.equal(res.statusCode, 503);
  t.match(res.headers['retry-after'], /^\d+$/);
  t.match(await res.body.json(), { status: 503 });
  await first.hangUp();
});

t.test('GET /checkout/{id}/events answers 406 problem+json to a client that refuses event streams', async (t) => {
  const { app, url } = await listening(t);
  const requestId = await newCheckout(app);
  const res = await request(`${url}/checkout/${requestId}/events`, { headers: { accept: 'application/json' } });
  t.equal(res.statusCode, 406);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.match(await res.body.json(), { status: 406 });
});

t.test('an Accept header is judged by its most specific range: a refused event stream beside a wildcard is a 406, never a 500', async (t) => {
  const { app, sandbox } = await listening(t);
  const requestId = await newCheckout(app);
  // A final checkout: an admitted stream sends its one event and ends, so inject() returns.
  sandbox.control.setStatus(requestId, 'Settled');
  const statusFor = async (accept: string) => (await app.inject({ url: `/checkout/${requestId}/events`, headers: { accept } })).statusCode;
  for (const accept of [
    'text/event-stream;q=0, */*',
    'text/*;q=0, */*',
    '*/*, text/event-stream;q=0',
    'text/event-stream;q=0.0, */*;q=0.5',
    'TEXT/*;Q=0, application/json',
  ]) {
    t.equal(await statusFor(accept), 406, accept);
  }
  for (const accept of [
    '*/*',
    'text/*, application/json',
    'text/event-stream;q=0.5, */*;q=0',
    'text/*;q=0, text/event-stream',
    'application/json, */*;q=0.1',
  ]) {
    t.equal(await statusFor(accept), 200, accept);
  }
});

t.test('HEAD /checkout/{id}/events answers the head of the stream at once, without holding a stream open', async (t) => {
  const { app, url } = await listening(t);
  const requestId = await newCheckout(app);
  const res = await request(`${url}/checkout/${requestId}/events`, { method: 'HEAD', headersTimeout: 5000, bodyTimeout: 5000 });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/event-stream/);
  t.equal(res.headers['cache-control'], 'no-store');
  await res.body.dump();
  const open = await app.inject({ url: '/metrics' });
  t.match(open.body, /^checkout_event_streams_open 0$/m, 'the slot is given back');
  const unknown = await request(`${url}/checkout/00000000-0000-4000-8000-000000000000/events`, { method: 'HEAD' });
  t.equal(unknown.statusCode, 404);
  await unknown.body.dump();
});
