import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/*
 * Compiles the browser client (src/browser-client/) into what GET /client/... serves: one ES module
 * bundled by esbuild, and one declaration file. `npm start` (tsx) calls this on the first request;
 * `npm run build` calls it once (build.ts) and writes the result beside the compiled service, where
 * assets.ts finds it, so both run modes serve the same bytes. esbuild and TypeScript are dev
 * dependencies, imported only here and only when there is no build output.
 */

export const SCRIPT_NAME = 'flinks-pay-checkout.js';
export const TYPES_NAME = 'flinks-pay-checkout.d.ts';
const ENTRY = 'flinks-pay-checkout.ts';
/** The files whose declarations are public: the entry re-exports types.ts, which uses bff-api.ts. */
const PUBLIC_TYPES = ['bff-api.ts', 'types.ts', ENTRY];

export interface CompiledClient {
  script: string;
  types: string;
}

const SCRIPT_BANNER = '/* Flinks Pay checkout, drop-in browser client (docs/browser-client.md). */';
const TYPES_BANNER =
  '/* Types of the Flinks Pay checkout browser client (/client/flinks-pay-checkout.js) and of the REST API\n' +
  ' * (paths, components, operations: generated from its OpenAPI document). */\n';

/** An import or re-export of a sibling file: the declarations are joined into one file, so they go. */
const SIBLING_REFERENCE = /^(?:import|export)\b[^;]*\bfrom '\.\/[\w-]+\.js';\n/gm;

async function bundleScript(dir: URL): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [fileURLToPath(new URL(ENTRY, dir))],
    tsconfig: fileURLToPath(new URL('tsconfig.json', dir)),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    banner: { js: SCRIPT_BANNER },
    write: false,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild wrote nothing for the browser client');
  return output.text;
}

/** Declarations of the public files, one after another in a single module (isolatedDeclarations makes each self-contained). */
async function bundleTypes(dir: URL): Promise<string> {
  const ts = (await import('typescript')).default;
  const configPath = fileURLToPath(new URL('tsconfig.json', dir));
  const { config } = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path)) as { config: unknown };
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, fileURLToPath(dir));
  const parts = await Promise.all(
    PUBLIC_TYPES.map(async (name) => {
      const fileName = fileURLToPath(new URL(name, dir));
      const { outputText, diagnostics = [] } = ts.transpileDeclaration(await readFile(fileName, 'utf8'), {
        fileName,
        compilerOptions: { ...options, noEmit: false, removeComments: false },
        reportDiagnostics: true,
      });
      if (diagnostics.length > 0) {
        throw new Error(`${name}: ${ts.flattenDiagnosticMessageText(diagnostics[0]?.messageText, '\n')}`);
      }
      return outputText.replace(SIBLING_REFERENCE, '');
    }),
  );
  return TYPES_BANNER + parts.join('\n');
}

/**
 * The served script and declarations, compiled from the TypeScript in `dir`. Both compile at once;
 * when both fail, esbuild's error is the one reported (it gives the line and column), whichever
 * finished first.
 */
export async function compileClient(dir: URL): Promise<CompiledClient> {
  const [script, types] = await Promise.allSettled([bundleScript(dir), bundleTypes(dir)]);
  if (script.status === 'rejected') throw script.reason;
  if (types.status === 'rejected') throw types.reason;
  return { script: script.value, types: types.value };
}
