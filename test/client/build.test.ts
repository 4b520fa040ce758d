import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import t from 'tap';
import ts from 'typescript';
import { CLIENT_DIR, findClientAssets, loaderFlags } from '../../src/client-assets/assets.js';
import { clientRoutes } from '../../src/routes/client.js';
import { runCommand, runModuleSource } from '../support/process.js';

/*
 * Both run modes serve the same client: `npm start` (tsx) compiles src/browser-client/ on first
 * request, `npm run build` writes the same compilation to dist/src/browser-client/ (postbuild),
 * where the compiled service reads it.
 */

const repo = new URL('../../', import.meta.url);
/** The sources, compiled once (in a child process) for every test of this file that reads them. */
const sources = findClientAssets();

t.test('the build step writes the bytes that the sources compile to, and the compiled service reads them', async (t) => {
  t.equal(sources?.origin, 'sources', 'under tsx, the sources');
  const out = t.testdir({});
  const build = await runCommand(process.execPath, ['--import', 'tsx', new URL('src/client-assets/build.ts', repo).pathname, out]);
  t.equal(build.code, 0, build.stderr);
  t.match(build.stdout, /wrote flinks-pay-checkout\.js and flinks-pay-checkout\.d\.ts/);
  const built = findClientAssets(pathToFileURL(join(out, 'src/browser-client/')));
  t.equal(built?.origin, 'built', 'beside compiled code, the build output');
  const [fromSources, fromBuild] = await Promise.all([sources?.load(), built?.load()]);
  t.equal(fromBuild?.script.body.toString(), fromSources?.script.body.toString());
  t.equal(fromBuild?.types.body.toString(), fromSources?.types.body.toString());
  t.equal(fromBuild?.script.etag, fromSources?.script.etag, 'so the same ETag from every instance');
});

// In a process of its own: this one imports TypeScript for the declarations test below.
const LOAD_AND_LIST = `
import { createRequire } from 'node:module';
const { findClientAssets } = await import('./src/client-assets/assets.ts');
const assets = await findClientAssets().load();
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({
  bytes: assets.script.body.length,
  typescript: loaded.filter((path) => path.includes('/node_modules/typescript/')),
}));
`;

t.test("the sources compile in a child process: the service's thread never loads TypeScript", async (t) => {
  // Loading TypeScript holds a thread for a third of a second here and for seconds on a busy
  // machine: on the service's thread that stall would trip load shedding (503 overloaded).
  const { code, stdout, stderr } = await runModuleSource(LOAD_AND_LIST);
  t.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as { bytes: number; typescript: string[] };
  t.ok(report.bytes > 1000, `the client was compiled (${report.bytes} bytes)`);
  t.same(report.typescript, [], 'no TypeScript on the service thread (esbuild is: tsx runs on it)');
});

t.test('the compiler inherits how to load TypeScript, and nothing else of the command line', (t) => {
  t.same(loaderFlags(['--import', 'tsx', '--input-type=module', '-e', 'code']), ['--import', 'tsx']);
  t.same(
    loaderFlags(['--require', '/tsx/preflight.cjs', '--import', 'file:///tsx/loader.mjs', '--inspect=9229', '--max-old-space-size=192']),
    ['--require', '/tsx/preflight.cjs', '--import', 'file:///tsx/loader.mjs'],
    'as `tsx watch` starts the service',
  );
  t.same(loaderFlags(['--import=tsx', '-r', 'x.cjs', '--loader', 'l.mjs', '--experimental-loader=e.mjs', '--enable-source-maps']), [
    '--import=tsx',
    '-r',
    'x.cjs',
    '--loader',
    'l.mjs',
    '--experimental-loader=e.mjs',
  ]);
  t.same(loaderFlags([]), [], 'compiled code under plain node');
  t.end();
});

t.test("a compile that fails says why (esbuild's error first, when both fail), and the next request tries again", async (t) => {
  const dir = t.testdir({});
  await cp(CLIENT_DIR, dir, { recursive: true });
  const entry = join(dir, 'flinks-pay-checkout.ts');
  const good = await readFile(entry, 'utf8');
  await writeFile(entry, `${good}\nexport const broken = ;\n`);
  const assets = findClientAssets(pathToFileURL(`${dir}/`));
  if (!assets) throw new Error('the copied sources were not found');
  await t.rejects(
    assets.load(),
    /^the browser client did not compile \(exit code 1\): Build failed with 1 error:\n.*flinks-pay-checkout\.ts:\d+:\d+: ERROR: Unexpected ";"$/,
  );
  // esbuild compiles this; the declarations cannot be written without a return type.
  await writeFile(entry, `${good}\nexport function untyped(value: number) { return value > 1 ? 'big' : 2; }\n`);
  await t.rejects(
    assets.load(),
    /^the browser client did not compile \(exit code 1\): flinks-pay-checkout\.ts: Function must have an explicit return type annotation with --isolatedDeclarations\.$/,
  );
  await writeFile(entry, good);
  const fixed = await assets.load();
  t.match(fixed.script.body.toString(), /^\/\* Flinks Pay checkout, drop-in browser client/);
});

t.test('package.json runs the build step after `npm run build`', async (t) => {
  const pkg = JSON.parse(await readFile(new URL('package.json', repo), 'utf8')) as { scripts: Record<string, string> };
  t.equal(pkg.scripts.postbuild, 'tsx src/client-assets/build.ts');
  t.match(pkg.scripts.typecheck, /tsc --noEmit -p src\/browser-client/, 'the browser code is type-checked under its own (DOM) config');
});

t.test('without build output or sources, the service starts and /client/* is 404', async (t) => {
  t.equal(findClientAssets(pathToFileURL(`${t.testdir({})}/`)), undefined);
  const app = Fastify({ logger: false });
  t.teardown(() => app.close());
  await app.register(clientRoutes, { assets: undefined });
  const response = await app.inject({ method: 'GET', url: '/client/flinks-pay-checkout.js' });
  t.equal(response.statusCode, 404);
});

t.test('the served declarations are one self-contained module a TypeScript project can use', async (t) => {
  const assets = await sources?.load();
  const dir = t.testdir({});
  await writeFile(join(dir, 'flinks-pay-checkout.d.ts'), assets?.types.body ?? '');
  await writeFile(
    join(dir, 'shop.ts'),
    [
      "import { pay, resume, CheckoutRefusedError, PaymentInProgressError, PaymentNotCompletedError, type PayOutcome, type components } from './flinks-pay-checkout.js';",
      "const outcome: Promise<PayOutcome> = pay({ amount: '49.95', customer: { firstName: 'J', lastName: 'D', email: 'j@d.ca' }, mode: 'iframe' });",
      "const signed: Promise<PayOutcome> = pay({ intent: () => Promise.resolve('jws'), customer: { firstName: 'J', lastName: 'D', email: 'j@d.ca' } });",
      'const back: Promise<PayOutcome | null> = resume();',
      'const reference: Promise<string> = outcome.then((paid) => paid.referenceId);',
      "const status: components['schemas']['CheckoutStatus']['status'] = 'Settled';",
      'export function describe(error: unknown): string {',
      '  if (error instanceof PaymentNotCompletedError) return `${error.status} ${String(error.final)} ${error.requestId}`;',
      '  if (error instanceof CheckoutRefusedError) return `${error.status} ${error.detail}`;',
      '  if (error instanceof PaymentInProgressError) return error.message;',
      '  return String(error);',
      '}',
      'export { outcome, signed, back, reference, status };',
      '// @ts-expect-error an unknown mode is refused',
      "pay({ amount: 1, customer: { firstName: 'J', lastName: 'D', email: 'j@d.ca' }, mode: 'tab' });",
    ].join('\n'),
  );
  const program = ts.createProgram([join(dir, 'shop.ts')], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
  });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  t.same(problems, []);
});

t.test("docs/browser-client.md's tsconfig mapping types the import of the module's URL, copied as written", async (t) => {
  const assets = await sources?.load();
  const docs = await readFile(new URL('docs/browser-client.md', repo), 'utf8');
  const section = docs.slice(docs.indexOf('\n## Types'));
  const snippet = /```json\n([\s\S]*?)\n```/.exec(section)?.[1] ?? '{}';
  const documented = JSON.parse(snippet) as { compilerOptions?: { paths?: Record<string, string[]> } };
  const [url = ''] = Object.keys(documented.compilerOptions?.paths ?? {});
  t.match(url, /^https:\/\/bff\.example\.com\/client\/flinks-pay-checkout\.js$/, 'the snippet maps the URL of the import');
  const dir = t.testdir({ types: {}, src: {} });
  await writeFile(join(dir, 'types/flinks-pay-checkout.d.ts'), assets?.types.body ?? '');
  const tsconfig = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'es2022',
      module: 'es2022',
      moduleResolution: 'bundler',
      lib: ['es2022', 'dom'],
      types: [],
      ...documented.compilerOptions,
    },
    include: ['src'],
  };
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  await writeFile(
    join(dir, 'src/shop.ts'),
    [
      `import { pay, type PayOutcome } from '${url}';`,
      "export const outcome: Promise<PayOutcome> = pay({ amount: '49.95', customer: { firstName: 'J', lastName: 'D', email: 'j@d.ca' } });",
      '// @ts-expect-error the types are really used: an amount is a string or a number',
      "pay({ amount: true, customer: { firstName: 'J', lastName: 'D', email: 'j@d.ca' } });",
    ].join('\n'),
  );
  const config = ts.getParsedCommandLineOfConfigFile(join(dir, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  const program = ts.createProgram(config?.fileNames ?? [], config?.options ?? {});
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  t.same(problems, []);
});

t.test('the script stays small: its gzipped size is within the budget docs/browser-client.md publishes', async (t) => {
  const assets = await sources?.load();
  const gzipped = gzipSync(assets?.script.body ?? '', { level: 9 }).length;
  const docs = await readFile(new URL('docs/browser-client.md', repo), 'utf8');
  const budget = Number(/gzipped\s+size\s+budget:\s+(\d+)\s+bytes/.exec(docs)?.[1]);
  t.ok(budget > 0, 'the page publishes a budget');
  t.ok(gzipped <= budget, `${gzipped} bytes gzipped, budget ${budget}`);
  const published = Number(/is\s+(\d[\d,]*)\s+bytes\s+gzipped/.exec(docs)?.[1]?.replace(',', ''));
  t.ok(Math.abs(published - gzipped) <= 300, `the published size (${published}) is within 300 bytes of today's ${gzipped}`);
});
