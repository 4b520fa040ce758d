import { negotiate } from '@fastify/accept-negotiator';
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Asset, ClientAssetSource, ClientAssets } from '../client-assets/assets.js';

/*
 * GET /client/flinks-pay-checkout.js and its .d.ts: the drop-in browser client
 * (docs/browser-client.md). Loaded cross-origin by merchant pages, so readable through CORS (the
 * global CORS plugin answers the allowed origins) and by no-cors embedders (CORP cross-origin);
 * cached by browsers and CDNs for a few minutes, then revalidated by ETag, so an upgrade reaches
 * every shopper within CACHE_SECONDS. Gzipped when the client accepts it. Not in the OpenAPI
 * document: it describes the REST API only.
 */

export const CLIENT_SCRIPT_PATH = '/client/flinks-pay-checkout.js';
export const CLIENT_TYPES_PATH = '/client/flinks-pay-checkout.d.ts';
const CACHE_SECONDS = 300;

const FILES: { path: string; pick: (assets: ClientAssets) => Asset; type: string }[] = [
  { path: CLIENT_SCRIPT_PATH, pick: (assets) => assets.script, type: 'text/javascript; charset=utf-8' },
  { path: CLIENT_TYPES_PATH, pick: (assets) => assets.types, type: 'application/typescript; charset=utf-8' },
];

/** Whether Accept-Encoding prefers gzip to no encoding (`gzip;q=0` refuses it; codings ignore case). */
const acceptsGzip = (request: FastifyRequest): boolean => negotiate((request.headers['accept-encoding'] ?? '').toLowerCase(), ['gzip', 'identity']) === 'gzip';

/** Whether If-None-Match names `etag` (or is `*`). */
function isFresh(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((tag) => {
    const value = tag.trim().replace(/^W\//, '');
    return value === '*' || value === etag;
  });
}

/** Sets the answer's status and headers and returns its body (none for a 304), for the handler to return. */
function answerAsset(request: FastifyRequest, reply: FastifyReply, asset: Asset, type: string): Buffer | undefined {
  const isGzip = acceptsGzip(request);
  const etag = isGzip ? asset.etag.replace(/"$/, '-gz"') : asset.etag;
  // The global CORS plugin may already vary by Origin; keep that and add the encoding.
  const vary = reply.getHeader('vary');
  reply
    .header('cache-control', `public, max-age=${CACHE_SECONDS}`)
    .header('etag', etag)
    .header('vary', [vary, 'Accept-Encoding'].filter(Boolean).join(', '))
    .header('cross-origin-resource-policy', 'cross-origin')
    .header('x-content-type-options', 'nosniff');
  if (isFresh(request, etag)) {
    reply.code(304);
    return undefined;
  }
  if (isGzip) reply.header('content-encoding', 'gzip');
  reply.type(type);
  return isGzip ? asset.gzip : asset.body;
}

export const clientRoutes: FastifyPluginAsyncZod<{ assets: ClientAssetSource | undefined }> = (app, { assets }) => {
  if (!assets) {
    // Compiled without `npm run build`'s last step (the image runs it): the API works, the client is 404.
    app.log.warn('the browser client was not built (npm run build writes it): /client/* answers 404');
    return Promise.resolve();
  }
  for (const { path, pick, type } of FILES) {
    app.get(path, { schema: { hide: true } }, async (request, reply) => answerAsset(request, reply, pick(await assets.load()), type));
  }
  return Promise.resolve();
};
