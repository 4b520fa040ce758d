import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import t from 'tap';
import { request } from 'undici';
import { validCheckout } from '../support/build.js';
import { BFF_LISTENING, startProcess } from '../support/process.js';
import { readRepoFile, repoPath } from './helpers.js';

/*
 * Pages and commands an operator needs are reachable from the README, and the commands the
 * deployment guide and the log queries of the operations pages give work as written.
 */
const readme = readRepoFile('README.md');
const pages = readdirSync(repoPath('docs')).filter((name) => name.endsWith('.md'));

/** The rows of the README's npm scripts table. */
function scriptsTable(): string {
  const start = readme.indexOf('\n## npm scripts\n');
  const end = readme.indexOf('\n## ', start + 1);
  return start < 0 ? '' : readme.slice(start, end < 0 ? undefined : end);
}

t.test('every page of docs/ is linked from the README or from another page', (t) => {
  for (const page of pages) {
    const linkers = [['README.md', readme], ...pages.filter((other) => other !== page).map((other) => [other, readRepoFile(`docs/${other}`)])];
    t.ok(
      linkers.some(([, text]) => (text ?? '').includes(`${page})`) || (text ?? '').includes(`${page}#`)),
      `docs/${page} is linked from somewhere`,
    );
  }
  t.end();
});

t.test('the README lists npm run flinks:check, the first thing to run when the Flinks credentials arrive', (t) => {
  t.match(scriptsTable(), /\| `npm run flinks:check` \|[^\n]*docs\/flinks-check\.md/);
  t.match(readme, /\]\(docs\/flinks-check\.md\)/, 'and links its page');
  t.match(readRepoFile('docs/configuration.md'), /\]\(flinks-check\.md\)/, 'so does the configuration page, by the credentials');
  t.ok(readme.split('\n').length <= 300, 'the README stays at most 300 lines');
  t.end();
});

t.test('the simulator run from the image by docker run is started without the BFF health check', (t) => {
  const runs = readRepoFile('docs/deployment.md')
    .split('\n')
    .filter((line) => line.includes('docker run') && line.includes('sandbox/standalone.js'));
  t.ok(runs.length > 0, 'docs/deployment.md shows how');
  // The image's HEALTHCHECK probes the BFF's /health on port 3000, which the simulator never serves.
  for (const line of runs) t.match(line, /docker run [^`]*--no-healthcheck/);
  t.end();
});

const jqMissing = spawnSync('jq', ['--version']).error !== undefined;

t.test('the jq queries of the operations pages run cleanly over the logs a real process writes', { skip: jqMissing && 'jq is not installed' }, async (t) => {
  const filters = ['docs/operations.md', 'docs/operations-console.md'].flatMap((page) =>
    [...readRepoFile(page).matchAll(/… \| jq -c '([^']+)'/g)].map((match) => match[1] ?? ''),
  );
  t.ok(filters.length >= 5, `the pages give ${String(filters.length)} queries`);
  const server = await startProcess(t, 'src/server.ts', { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', MAX_EVENT_LOOP_DELAY_MS: '10000' }, BFF_LISTENING);
  const post = (amount: string) =>
    request(`${server.url}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(validCheckout({ amount })),
    });
  const created = await post('10.00');
  const { requestId } = (await created.body.json()) as { requestId: string };
  await (await request(`${server.url}/checkout/${requestId}`)).body.dump();
  await (await post('13.13')).body.dump(); // the sandbox fails sessions/initiate: a failed call's lines too
  server.child.kill('SIGTERM');
  t.match(await server.exited, { code: 0 });
  const logs = server.output();
  t.match(logs, /checkout BFF listening/, 'the start-up line is among them');

  for (const filter of filters) {
    const run = spawnSync('jq', ['-c', filter], { input: logs, encoding: 'utf8' });
    t.equal(run.stderr, '', `jq -c '${filter}' writes no error`);
    t.equal(run.status, 0, `jq -c '${filter}' exits 0`);
  }
  const calls = filters.find((filter) => filter.includes('.upstream')) ?? '';
  const steps = spawnSync('jq', ['-c', calls], { input: logs, encoding: 'utf8' }).stdout;
  for (const step of ['authorize', 'initiate', 'paymentrequest', 'status']) t.match(steps, `["${step}",`, `the Flinks calls list ${step}`);
});
