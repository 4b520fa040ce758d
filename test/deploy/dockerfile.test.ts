import { existsSync } from 'node:fs';
import t from 'tap';
import { readRepoFile, repoPath } from './helpers.js';

/*
 * No container engine runs where the tests run, so the Dockerfile is checked statically; the
 * compiled service itself is started from an image-like layout in startup.test.ts.
 */

interface Instruction {
  keyword: string;
  args: string;
}

function parseDockerfile(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** Stages in order, each with its instructions (the FROM line first). */
function stages(instructions: Instruction[]): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

/** Evaluates .dockerignore for a top-level path: the last matching pattern decides. */
function isIgnored(patterns: string[], path: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/\/$/, '');
    const matches = pattern === '*' || path === pattern || path.startsWith(`${pattern}/`);
    if (matches) ignored = !negated;
  }
  return ignored;
}

const instructions = parseDockerfile(readRepoFile('Dockerfile'));
const [build = [], runtime = []] = stages(instructions);
const runtimeText = runtime.map((i) => `${i.keyword} ${i.args}`).join('\n');
const ignorePatterns = readRepoFile('.dockerignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

t.test('the Dockerfile builds with dev dependencies and runs with production ones only', (t) => {
  t.equal(stages(instructions).length, 2, 'two stages');
  const defaultImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(readRepoFile('Dockerfile'))?.[1] ?? '';
  // Node 20 reached its end of life on 2026-04-30; 26 is the Active LTS line since 2026-10-28.
  t.match(defaultImage, /^node:26\.\d+\.\d+-(bookworm-slim|slim|alpine)$/, 'a small base of a pinned Node 26 (LTS) release');
  t.match(build[0]?.args, /\s+AS build$/i);
  t.ok(
    build.some((i) => i.keyword === 'RUN' && /^npm ci\b(?!.*--omit=dev)/.test(i.args)),
    'build: npm ci with dev deps',
  );
  t.ok(
    build.some((i) => i.keyword === 'RUN' && /\bnpm run build\b/.test(i.args)),
    'build: npm run build',
  );
  t.ok(
    runtime.some((i) => i.keyword === 'RUN' && /^npm ci .*--omit=dev/.test(i.args)),
    'runtime: npm ci --omit=dev',
  );
  const copies = runtime.filter((i) => i.keyword === 'COPY').map((i) => i.args);
  t.ok(copies.includes('--from=build /app/dist ./dist'), 'runtime: the compiled dist/ from the build stage');
  // The sandbox and demo pages find their static files next to the compiled code, in dist/.
  t.strictSame(
    copies.filter((args) => args.startsWith('--from=build')),
    ['--from=build /app/dist ./dist'],
    'runtime: nothing but dist/ from the build stage (no second copy of the static files)',
  );
  t.notMatch(readRepoFile('Dockerfile'), /static\//, 'no static/ folder is made or copied');
  t.strictSame(
    copies.filter((args) => !args.startsWith('--from=build')),
    ['package.json package-lock.json ./'],
    'nothing else from the build context reaches the runtime image',
  );
  t.match(readRepoFile('package.json'), /"build": "tsc -p tsconfig\.build\.json && tsx scripts\/copy-assets\.ts"/);
  t.end();
});

t.test('tsx is a dev dependency: the image runs compiled JavaScript and never installs it', (t) => {
  const pkg = JSON.parse(readRepoFile('package.json')) as { dependencies: object; devDependencies: object };
  t.notOk('tsx' in pkg.dependencies, 'not a runtime dependency');
  t.ok('tsx' in pkg.devDependencies, 'a dev dependency (npm ci installs it for npm start, the build and the tests)');
  const lock = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
  t.equal(lock.packages['node_modules/tsx']?.dev, true, 'package-lock.json agrees, so npm ci --omit=dev leaves it out');
  t.notMatch(runtimeText, /\btsx\b/, 'the runtime stage never calls it');
  t.end();
});

t.test('the runtime image runs node as a non-root user in production mode, with a health check', (t) => {
  t.match(runtimeText, /^ENV NODE_ENV=production$/m);
  const user = runtime.filter((i) => i.keyword === 'USER').at(-1)?.args ?? 'root';
  t.notMatch(user, /^(root|0)(:|$)/, `runs as ${user}`);
  const userAt = runtime.findIndex((i) => i.keyword === 'USER');
  const cmdAt = runtime.findIndex((i) => i.keyword === 'CMD');
  t.ok(userAt >= 0 && userAt < cmdAt, 'USER comes before CMD');
  t.match(runtimeText, /^HEALTHCHECK .*CMD \["node", "-e", ".*\/health'.*"\]$/m, 'probes /health with node');

  const cmd = runtime.find((i) => i.keyword === 'CMD')?.args ?? '';
  t.strictSame(JSON.parse(cmd), ['node', 'dist/src/server.js'], 'exec form: node is PID 1 and gets SIGTERM');
  t.notOk(
    runtime.some((i) => i.keyword === 'ENTRYPOINT'),
    'no wrapper shell or npm in front of node',
  );
  t.ok(existsSync(repoPath('src/server.ts')), 'dist/src/server.js is compiled from src/server.ts');
  t.end();
});

t.test('no secret is baked into the image', (t) => {
  for (const { keyword, args } of instructions.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
    t.notMatch(args, /FLINKS_|PASSWORD|SECRET|TOKEN|USERNAME/i, `${keyword} ${args}`);
  }
  for (const path of ['.env', '.env.flinks', '.env.example', '.git', 'node_modules', 'dist', 'coverage', 'test']) {
    t.ok(isIgnored(ignorePatterns, path), `.dockerignore keeps ${path} out of the build context`);
  }
  for (const { args } of build.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
    const sources = args.split(/\s+/).slice(0, -1);
    for (const source of sources) {
      t.notOk(isIgnored(ignorePatterns, source.replace(/^\.\//, '').replace(/\/$/, '')), `${source} is in the build context`);
      t.ok(existsSync(repoPath(source)), `${source} exists`);
    }
  }
  t.end();
});
