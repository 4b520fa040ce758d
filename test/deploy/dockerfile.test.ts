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
  t.match(defaultImage, /^node:20-(slim|alpine)/, 'a small Node 20 base');
  t.match(build[0]?.args, /\s+AS build$/i);
  t.ok(build.some((i) => i.keyword === 'RUN' && /^npm ci\b(?!.*--omit=dev)/.test(i.args)), 'build: npm ci with dev deps');
  t.ok(build.some((i) => i.keyword === 'RUN' && /\bnpm run build\b/.test(i.args)), 'build: npm run build');
  t.ok(runtime.some((i) => i.keyword === 'RUN' && /^npm ci .*--omit=dev/.test(i.args)), 'runtime: npm ci --omit=dev');
  const copies = runtime.filter((i) => i.keyword === 'COPY').map((i) => i.args);
  t.ok(copies.includes('--from=build /app/dist ./dist'), 'runtime: the compiled dist/ from the build stage');
  t.ok(copies.includes('--from=build /app/static/ ./'), 'runtime: static files at their source paths');
  t.ok(
    build.some((i) => i.keyword === 'RUN' && /copy-assets\.ts static\/src$/.test(i.args)),
    'build: static/ holds the static files of src/',
  );
  t.strictSame(
    copies.filter((args) => !args.startsWith('--from=build')),
    ['package.json package-lock.json ./'],
    'nothing else from the build context reaches the runtime image',
  );
  t.match(readRepoFile('package.json'), /"build": "tsc -p tsconfig\.build\.json && tsx scripts\/copy-assets\.ts"/);
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
  t.notOk(runtime.some((i) => i.keyword === 'ENTRYPOINT'), 'no wrapper shell or npm in front of node');
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
