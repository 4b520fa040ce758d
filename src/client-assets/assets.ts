import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { compileClient, SCRIPT_NAME, TYPES_NAME, type CompiledClient } from './compile.js';

/*
 * Where the browser client comes from. Compiled code (dist/src/client-assets/) finds the build
 * output of `npm run build` in dist/src/browser-client/; the TypeScript sources (tsx, `npm start`)
 * find the sources in src/browser-client/ and compile them once, on first use.
 */

/** The same relative place in src/ and in dist/src/. */
export const CLIENT_DIR = new URL('../browser-client/', import.meta.url);

/** One served file, in both encodings, with its entity tags. */
export interface Asset {
  body: Buffer;
  gzip: Buffer;
  /** Strong ETag of `body`; the gzip encoding's is `etag` with `-gz` inside the quotes. */
  etag: string;
}

export interface ClientAssets {
  script: Asset;
  types: Asset;
}

export interface ClientAssetSource {
  /** `built` (npm run build) or `sources` (compiled on first use). */
  origin: 'built' | 'sources';
  load(): Promise<ClientAssets>;
}

function assetOf(text: string): Asset {
  const body = Buffer.from(text, 'utf8');
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  return { body, gzip: gzipSync(body, { level: 9 }), etag: `"${hash}"` };
}

async function readBuilt(dir: URL): Promise<CompiledClient> {
  const [script, types] = await Promise.all([readFile(new URL(SCRIPT_NAME, dir), 'utf8'), readFile(new URL(TYPES_NAME, dir), 'utf8')]);
  return { script, types };
}

/** The client in `dir`: its build output, else its sources; undefined when neither is there. */
export function findClientAssets(dir: URL = CLIENT_DIR): ClientAssetSource | undefined {
  const origin = existsSync(new URL(SCRIPT_NAME, dir)) ? 'built' : existsSync(new URL('flinks-pay-checkout.ts', dir)) ? 'sources' : undefined;
  if (!origin) return undefined;
  let loading: Promise<ClientAssets> | undefined;
  return {
    origin,
    load: () => {
      loading ??= (origin === 'built' ? readBuilt(dir) : compileClient(dir)).then(({ script, types }) => ({
        script: assetOf(script),
        types: assetOf(types),
      }));
      // A failed compile (a syntax error while developing) is tried again on the next request.
      loading.catch(() => {
        loading = undefined;
      });
      return loading;
    },
  };
}
