import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { SCRIPT_NAME, TYPES_NAME, type CompiledClient } from './compile.js';

/*
 * Where the browser client comes from. Compiled code (dist/src/client-assets/) finds the build
 * output of `npm run build` in dist/src/browser-client/; the TypeScript sources (tsx, `npm start`)
 * find the sources in src/browser-client/ and compile them once, on first use, in a child process.
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

/** Kept of a failed compile's stderr: enough for the error's message, never unbounded. */
const STDERR_TAIL = 2_000;

const LOADER_FLAG = /^(?:--import|--require|-r|--loader|--experimental-loader)(?:=|$)/;

/**
 * The flags that let this process load TypeScript (tsx's `--import`, `--require` or `--loader`),
 * without the others a child must not inherit: `-e` code would run instead of the child's file, an
 * `--input-type` refuses a file, an `--inspect` port is taken.
 */
export function loaderFlags(execArgv: readonly string[]): string[] {
  const flags: string[] = [];
  execArgv.forEach((arg, index) => {
    if (!LOADER_FLAG.test(arg)) return;
    const value = arg.includes('=') ? undefined : execArgv[index + 1];
    flags.push(arg, ...(value === undefined ? [] : [value]));
  });
  return flags;
}

/**
 * The sources compiled in a child process (compile-child.ts, in the same language as this file).
 * Loading TypeScript and transpiling the declarations keep a thread busy for a third of a second on
 * a quiet machine and for seconds on a busy one: on the main thread that would stall every request
 * in flight, and a stall past MAX_EVENT_LOOP_DELAY_MS turns the next ones away as overloaded (503).
 */
function compileInChild(dir: URL): Promise<CompiledClient> {
  const script = new URL(`./compile-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(script), [dir.href], {
      execArgv: loaderFlags(process.execArgv),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });
    child.once('message', (compiled) => {
      resolve(compiled as CompiledClient);
    });
    child.once('error', reject);
    // 'close', not 'exit': by then every message and all of stderr have arrived.
    child.once('close', (code) => {
      reject(new Error(`the browser client did not compile (exit code ${String(code)}): ${stderr.trim()}`));
    });
  });
}

/** The client in `dir`: its build output, else its sources; undefined when neither is there. */
export function findClientAssets(dir: URL = CLIENT_DIR): ClientAssetSource | undefined {
  const origin = existsSync(new URL(SCRIPT_NAME, dir)) ? 'built' : existsSync(new URL('flinks-pay-checkout.ts', dir)) ? 'sources' : undefined;
  if (!origin) return undefined;
  let loading: Promise<ClientAssets> | undefined;
  return {
    origin,
    load: () => {
      loading ??= (origin === 'built' ? readBuilt(dir) : compileInChild(dir)).then(({ script, types }) => ({
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
