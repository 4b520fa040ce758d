import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { request } from 'undici';
import { buildTestApp, postCheckout, startSandbox, validCheckout } from '../support/build.js';
import { cleanRedisOnTeardown, freshPrefix, REDIS_URL } from './support.js';

/*
 * A change observed anywhere reaches the event streams following that checkout at once, not at
 * their next poll (a minute away here): on the same instance, and on another one through Redis.
 */

const SECRET = 'live-updates-webhook-secret';

async function follow(url: string) {
  const res = await request(url, { headers: { accept: 'text/event-stream' } });
  const statuses: string[] = [];
  let notify: (() => void) | undefined;
  let buffer = '';
  const ended = (async () => {
    for await (const chunk of res.body) {
      buffer += (chunk as Buffer).toString('utf8');
      for (const match of buffer.matchAll(/event: status\ndata: (.*)\n\n/g)) statuses.push((JSON.parse(match[1] ?? '{}') as { status: string }).status);
      buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
      notify?.();
    }
  })();
  const waitFor = async (count: number) => {
    while (statuses.length < count) await new Promise<void>((resolve) => (notify = resolve));
  };
  return { statuses, ended, waitFor };
}

async function signedWebhook(app: FastifyInstance, requestId: string) {
  const body = JSON.stringify({ requestId });
  const signature = createHmac('sha256', SECRET).update(body).digest('base64');
  const res = await app.inject({
    method: 'POST',
    url: '/webhooks/flinks',
    headers: { 'content-type': 'application/json', 'x-webhook-signature': signature },
    payload: body,
  });
  if (res.statusCode !== 202) throw new Error(`webhook answered ${res.statusCode}`);
}

t.test('a webhook-triggered read pushes the change into open event streams at once', async (t) => {
  const sandbox = await startSandbox(t);
  const app = await buildTestApp(t, sandbox, { FLINKS_WEBHOOK_SECRET: SECRET, STATUS_POLL_INTERVAL_MS: '60000', STATUS_CACHE_MS: '0' });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  const stream = await follow(`${url}/checkout/${requestId}/events`);
  await stream.waitFor(1);
  sandbox.control.setStatus(requestId, 'Accepted');
  await signedWebhook(app, requestId);
  await stream.waitFor(2);
  sandbox.control.setStatus(requestId, 'Settled');
  // Another client's status read is an observation too.
  await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  await stream.ended;
  t.same(stream.statuses, ['Initiated', 'Accepted', 'Settled'], 'each status once, and the stream ends at the final one');
});

t.test('with Redis, a change observed on one instance reaches a stream open on another', async (t) => {
  const sandbox = await startSandbox(t);
  const prefix = freshPrefix();
  cleanRedisOnTeardown(t, prefix);
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, FLINKS_WEBHOOK_SECRET: SECRET, STATUS_POLL_INTERVAL_MS: '60000', STATUS_CACHE_MS: '0' };
  const streaming = await buildTestApp(t, sandbox, env);
  const other = await buildTestApp(t, sandbox, env);
  await other.ready();
  const url = await streaming.listen({ port: 0, host: '127.0.0.1' });
  const { requestId } = (await postCheckout(streaming, validCheckout())).json<{ requestId: string }>();
  const stream = await follow(`${url}/checkout/${requestId}/events`);
  await stream.waitFor(1);
  sandbox.control.setStatus(requestId, 'Declined');
  await signedWebhook(other, requestId);
  await stream.ended;
  t.same(stream.statuses, ['Initiated', 'Declined']);
});
