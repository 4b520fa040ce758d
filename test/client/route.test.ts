import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { CLIENT_SCRIPT_PATH, CLIENT_TYPES_PATH } from '../../src/routes/client.js';

/* GET /client/flinks-pay-checkout.js and its .d.ts: the drop-in browser client as HTTP serves it. */

const SHOP = 'https://shop.example';

async function build(t: Test): Promise<FastifyInstance> {
  const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', CORS_ORIGINS: SHOP }));
  t.teardown(() => app.close());
  return app;
}

t.test('the client routes', async (t) => {
  // One app for the whole file: the first request compiles the client (a few seconds under tsx).
  const app = await build(t);

  t.test('GET /client/flinks-pay-checkout.js serves a dependency-free ES module exporting pay and resume', async (t) => {
    const response = await app.inject({ method: 'GET', url: CLIENT_SCRIPT_PATH });
    t.equal(response.statusCode, 200);
    t.equal(response.headers['content-type'], 'text/javascript; charset=utf-8');
    t.equal(response.headers['x-content-type-options'], 'nosniff');
    const script = response.body;
    t.match(script, /^\/\* Flinks Pay checkout, drop-in browser client/);
    const exported = /export\s*\{([^}]*)\}\s*;?\s*$/.exec(script)?.[1] ?? '';
    const names = exported.split(',').map((entry) =>
      entry
        .trim()
        .split(/\s+as\s+/)
        .at(-1),
    );
    t.same(names.sort(), ['CheckoutRefusedError', 'PaymentInProgressError', 'PaymentNotCompletedError', 'pay', 'resume']);
    // No static or dynamic import: a merchant's CSP needs this one origin and file, nothing else.
    t.notMatch(script.replaceAll('import.meta', ''), /\bimport\b/, 'imports nothing');
    t.match(script, /import\.meta\.url/, 'finds its service from its own URL');
  });

  t.test('the script is cacheable: public for a few minutes, then revalidated by ETag (304)', async (t) => {
    const first = await app.inject({ method: 'GET', url: CLIENT_SCRIPT_PATH });
    t.equal(first.headers['cache-control'], 'public, max-age=300');
    const etag = String(first.headers.etag);
    t.match(etag, /^"[\w-]{22}"$/, 'a strong ETag from the content');
    const again = await app.inject({ method: 'GET', url: CLIENT_SCRIPT_PATH });
    t.equal(again.headers.etag, etag, 'the same bytes have the same tag');
    const revalidated = await app.inject({ method: 'GET', url: CLIENT_SCRIPT_PATH, headers: { 'if-none-match': `"other", ${etag}` } });
    t.equal(revalidated.statusCode, 304);
    t.equal(revalidated.body, '');
    t.equal(revalidated.headers.etag, etag);
    t.equal(revalidated.headers['cache-control'], 'public, max-age=300');
    const stale = await app.inject({ method: 'GET', url: CLIENT_SCRIPT_PATH, headers: { 'if-none-match': '"stale"' } });
    t.equal(stale.statusCode, 200);
  });

  t.test('the script is gzipped for clients that accept it, under a tag of its own', async (t) => {
    const plain = await app.inject({ method: 'GET', url: CLIENT_SCRIPT_PATH });
    const zipped = await app.inject({ method: 'GET', url: CLIENT_SCRIPT_PATH, headers: { 'accept-encoding': 'br, gzip' } });
    t.equal(zipped.statusCode, 200);
    t.equal(zipped.headers['content-encoding'], 'gzip');
    t.equal(gunzipSync(zipped.rawPayload).toString('utf8'), plain.body);
    t.ok(zipped.rawPayload.length < plain.rawPayload.length / 2, `${zipped.rawPayload.length} bytes gzipped`);
    t.not(zipped.headers.etag, plain.headers.etag);
    t.match(zipped.headers.vary, /Accept-Encoding/);
    t.notOk(plain.headers['content-encoding']);
  });

  t.test('gzip is sent by the weights of Accept-Encoding, not by the word appearing in it', async (t) => {
    const encodingFor = async (acceptEncoding: string) =>
      (await app.inject({ method: 'GET', url: CLIENT_SCRIPT_PATH, headers: { 'accept-encoding': acceptEncoding } })).headers['content-encoding'];
    t.equal(await encodingFor('gzip;q=0, identity'), undefined, 'gzip refused');
    t.equal(await encodingFor('identity, gzip;q=0'), undefined);
    t.equal(await encodingFor('GZip;q=0.5, deflate'), 'gzip', 'codings ignore case');
    t.equal(await encodingFor('*'), 'gzip', 'any coding');
    t.equal(await encodingFor('br'), undefined, 'only codings this service does not have');
  });

  t.test('an allowed origin may read the script (CORS); another origin may not', async (t) => {
    const allowed = await app.inject({ method: 'GET', url: CLIENT_SCRIPT_PATH, headers: { origin: SHOP } });
    t.equal(allowed.statusCode, 200);
    t.equal(allowed.headers['access-control-allow-origin'], SHOP);
    t.match(allowed.headers.vary, /Origin/);
    t.match(allowed.headers.vary, /Accept-Encoding/);
    t.equal(allowed.headers['cross-origin-resource-policy'], 'cross-origin', 'a COEP page may embed it');
    const other = await app.inject({ method: 'GET', url: CLIENT_SCRIPT_PATH, headers: { origin: 'https://evil.example' } });
    t.notOk(other.headers['access-control-allow-origin']);
  });

  t.test('GET /client/flinks-pay-checkout.d.ts serves its declarations, with the same caching', async (t) => {
    const response = await app.inject({ method: 'GET', url: CLIENT_TYPES_PATH, headers: { origin: SHOP } });
    t.equal(response.statusCode, 200);
    t.equal(response.headers['content-type'], 'application/typescript; charset=utf-8');
    t.equal(response.headers['access-control-allow-origin'], SHOP);
    t.equal(response.headers['cache-control'], 'public, max-age=300');
    t.ok(response.headers.etag);
    t.match(response.body, /export declare function pay\(options: PayOptions\): Promise<PayOutcome>;/);
    t.match(response.body, /export declare function resume\(/);
    t.match(response.body, /export interface components \{/, 'with the REST API types generated from the OpenAPI document');
    t.notMatch(response.body, /from '\.\//, 'one self-contained file');
  });

  t.test('HEAD answers like GET without a body; other /client paths are 404 problem+json', async (t) => {
    const head = await app.inject({ method: 'HEAD', url: CLIENT_SCRIPT_PATH });
    t.equal(head.statusCode, 200);
    t.equal(head.body, '');
    const missing = await app.inject({ method: 'GET', url: '/client/other.js' });
    t.equal(missing.statusCode, 404);
    t.match(missing.headers['content-type'], /^application\/problem\+json/);
  });

  t.test('the client is not part of the REST API document', async (t) => {
    const document = await app.inject({ method: 'GET', url: '/docs/json' });
    t.notMatch(document.body, /\/client\//);
  });
});
