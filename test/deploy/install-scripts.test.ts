import t from 'tap';
import { readRepoFile } from './helpers.js';

/*
 * Every dependency with an install script is reviewed in package.json's `allowScripts`
 * (docs/deployment.md): npm 11 runs an unlisted one with a warning, npm 12 skips it. The lockfile
 * marks such packages `hasInstallScript`, as npm itself reads them.
 */

interface LockedPackage {
  hasInstallScript?: boolean;
}

const lock = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, LockedPackage> };
const pkg = JSON.parse(readRepoFile('package.json')) as { allowScripts?: Record<string, boolean> };

/** `node_modules/a/node_modules/@scope/b` → `@scope/b`. */
const nameOf = (path: string): string => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

const withScripts = [
  ...new Set(
    Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript === true)
      .map(([path]) => nameOf(path)),
  ),
].sort();
const reviewed = Object.keys(pkg.allowScripts ?? {}).sort();

t.test('each dependency with an install script is approved or denied in allowScripts, and nothing else is listed', (t) => {
  t.ok(withScripts.length > 0, 'the lockfile marks install scripts (hasInstallScript)');
  t.same(reviewed, withScripts);
  for (const name of reviewed) t.type(pkg.allowScripts?.[name], 'boolean', `${name}: approved (true) or denied (false)`);
  t.end();
});

t.test('docs/deployment.md names each reviewed dependency', (t) => {
  const docs = readRepoFile('docs/deployment.md');
  for (const name of reviewed) t.match(docs, `\`${name}\``, name);
  t.end();
});
