import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Entry files of the compiled programs the benchmark starts with plain node. */
export interface BuiltEntries {
  /** The service, as the container runs it (dist/src/server.js). */
  service: string;
  /** The CPU-bound floor: bench/minimal-bff.ts. */
  minimal: string;
  /** The stack's floor: bench/minimal-fastify.ts. */
  fastify: string;
}

async function tsc(project: string, outDir: string, buildInfo: string, mustExist: string, root = ROOT): Promise<void> {
  const compiler = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = ['-p', project, '--outDir', outDir, '--incremental', '--tsBuildInfoFile', buildInfo];
  try {
    await run(process.execPath, [compiler, ...args], { cwd: root });
  } catch (error) {
    // A type error elsewhere in the tree (someone else's work in progress) still leaves runnable
    // JavaScript behind.
    if (!existsSync(mustExist)) throw error;
    process.stderr.write(`tsc -p ${project} reported errors; benchmarking the JavaScript it emitted anyway\n`);
  }
}

/**
 * Compiles the service the way `npm run build` does, and the minimal BFF beside it, into a folder
 * of their own under the system temp dir (incremental, so later runs take seconds), leaving the
 * repository's dist/ alone. The benchmark runs this output with plain node, as the container image
 * does: `--import tsx` would add its loader thread (~40 MB RSS) to every memory reading.
 */
export async function buildBff(): Promise<BuiltEntries> {
  const dir = join(tmpdir(), 'flinks-pay-bff-bench');
  const outDir = join(dir, 'dist');
  mkdirSync(dir, { recursive: true });
  // dist/src/app.js finds package.json above it; packages resolve through node_modules next to it.
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const entries = {
    service: join(outDir, 'src', 'server.js'),
    minimal: join(outDir, 'bench', 'minimal-bff.js'),
    fastify: join(outDir, 'bench', 'minimal-fastify.js'),
  };
  await tsc('tsconfig.build.json', outDir, join(dir, 'tsbuildinfo'), entries.service);
  await tsc(join('bench', 'tsconfig.minimal-bff.json'), outDir, join(dir, 'tsbuildinfo-minimal'), entries.fastify);
  await run(process.execPath, ['--import', 'tsx', 'scripts/copy-assets.ts', outDir], { cwd: ROOT });
  return entries;
}

/**
 * The service as it was at an earlier commit (`ref`: a hash, tag or HEAD~1), compiled the same way
 * into a folder of its own, for an A/B of one change (compare.ts). The tree is exported with
 * `git archive`; it runs on this checkout's node_modules, so a ref with other dependencies is
 * measured with today's.
 */
export async function buildServiceAt(ref: string): Promise<{ service: string; commit: string }> {
  const { stdout } = await run('git', ['rev-parse', '--short', `${ref}^{commit}`], { cwd: ROOT });
  const commit = stdout.trim();
  const dir = join(tmpdir(), `flinks-pay-bff-bench-${commit}`);
  const tree = join(dir, 'tree');
  const outDir = join(dir, 'dist');
  if (!existsSync(tree)) {
    mkdirSync(tree, { recursive: true });
    await run('sh', ['-c', `git archive ${commit} | tar -x -C "${tree}"`], { cwd: ROOT });
  }
  copyFileSync(join(tree, 'package.json'), join(dir, 'package.json'));
  for (const link of [join(dir, 'node_modules'), join(tree, 'node_modules')]) {
    if (!existsSync(link)) symlinkSync(join(ROOT, 'node_modules'), link, 'dir');
  }
  const service = join(outDir, 'src', 'server.js');
  await tsc('tsconfig.build.json', outDir, join(dir, 'tsbuildinfo'), service, tree);
  await run(process.execPath, ['--import', 'tsx', 'scripts/copy-assets.ts', outDir], { cwd: tree });
  return { service, commit };
}
