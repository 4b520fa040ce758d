/*
 * Second half of `npm run build`: tsc emits only JavaScript, so every other file under src/ and
 * sandbox/ (HTML, CSS, browser scripts of the sandbox and demo pages) is copied to the same
 * relative place in the output folder. Code that finds its files next to itself
 * (`new URL('./public/', import.meta.url)`) then works from src/ (tsx) and dist/ (node) alike.
 *
 *   tsx scripts/copy-assets.ts [outDir]     outDir defaults to dist
 */
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['src', 'sandbox'];
const outDir = resolve(root, process.argv[2] ?? 'dist');
const COMPILED = /\.(?:[cm]?ts|tsx|md)$/;

mkdirSync(outDir, { recursive: true });
let copied = 0;
for (const sourceDir of SOURCE_DIRS) {
  for (const path of readdirSync(join(root, sourceDir), { recursive: true, encoding: 'utf8' })) {
    const from = join(root, sourceDir, path);
    if (COMPILED.test(path) || !statSync(from).isFile()) continue;
    const to = join(outDir, sourceDir, path);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
    copied += 1;
  }
}
process.stdout.write(`copied ${copied} asset file${copied === 1 ? '' : 's'} to ${relative(root, outDir) || '.'}\n`);
