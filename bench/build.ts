import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Compiles the service the way `npm run build` does, but into a folder of its own under the
 * system temp dir (incremental, so later runs take a second), leaving the repository's dist/ alone.
 * The benchmark runs this output with plain node, as the container image does: `--import tsx`
 * would add its loader thread (~40 MB RSS) to every memory reading.
 */
export async function buildBff(): Promise<string> {
  const dir = join(tmpdir(), 'flinks-pay-bff-bench');
  const outDir = join(dir, 'dist');
  mkdirSync(dir, { recursive: true });
  // dist/src/app.js finds package.json above it; packages resolve through node_modules next to it.
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = ['-p', 'tsconfig.build.json', '--outDir', outDir, '--incremental', '--tsBuildInfoFile', join(dir, 'tsbuildinfo')];
  try {
    await run(process.execPath, [tsc, ...args], { cwd: ROOT });
  } catch (error) {
    // A type error elsewhere in the tree still leaves runnable JavaScript behind.
    if (!existsSync(join(outDir, 'src', 'server.js'))) throw error;
    process.stderr.write('tsc reported errors; benchmarking the JavaScript it emitted anyway\n');
  }
  await run(process.execPath, ['--import', 'tsx', 'scripts/copy-assets.ts', outDir], { cwd: ROOT });
  return join(outDir, 'src', 'server.js');
}
