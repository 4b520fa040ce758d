/*
 * The last step of `npm run build` (package.json `postbuild`): writes the browser client, compiled
 * as `npm start` compiles it, beside the compiled service (dist/src/browser-client/), where the
 * compiled assets.ts looks first. Kept under src/ so the image's build stage, which copies src/,
 * has it.
 *
 *   tsx src/client-assets/build.ts [outDir]     outDir defaults to dist
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { compileClient, SCRIPT_NAME, TYPES_NAME } from './compile.js';

const outDir = pathToFileURL(`${process.argv[2] ?? 'dist'}/src/browser-client/`);
const { script, types } = await compileClient(new URL('../browser-client/', import.meta.url));
await mkdir(outDir, { recursive: true });
await writeFile(new URL(SCRIPT_NAME, outDir), script);
await writeFile(new URL(TYPES_NAME, outDir), types);
process.stdout.write(`wrote ${SCRIPT_NAME} and ${TYPES_NAME} to ${outDir.pathname}\n`);
