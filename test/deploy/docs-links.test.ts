import { readdirSync } from 'node:fs';
import t from 'tap';
import { readRepoFile, repoPath } from './helpers.js';

/*
 * Pages and commands an operator needs are reachable from the README, and the commands the
 * deployment guide gives work as written.
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
