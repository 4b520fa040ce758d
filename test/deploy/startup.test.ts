import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { request } from 'undici';
import { validCheckout } from '../support/build.js';
import { BFF_LISTENING, runCommand as run, startProcess } from '../support/process.js';
import { repoPath } from './helpers.js';

// Compiling the whole service takes a while on a busy machine.
t.setTimeout(180_000);

t.test('`npm start` in production without Flinks credentials exits 1 with the one-line config error', async (t) => {
  const result = await run('npm', ['run', '--silent', 'start'], {
    NODE_ENV: 'production',
    FLINKS_BASE_URL: 'https://your-instance.flinks.com',
  });
  t.equal(result.code, 1);
  t.equal(
    result.stderr.trim(),
    'Invalid configuration: FLINKS_USERNAME: required when FLINKS_BASE_URL is set; ' + 'FLINKS_PASSWORD: required when FLINKS_BASE_URL is set',
  );
  t.equal(result.stdout, '', 'nothing was started');
});

t.test('`npm start` in production with no Flinks settings at all names FLINKS_BASE_URL', async (t) => {
  const result = await run('npm', ['run', '--silent', 'start'], { NODE_ENV: 'production' });
  t.equal(result.code, 1);
  t.match(result.stderr.trim(), /^Invalid configuration: FLINKS_BASE_URL: required when NODE_ENV=production[^\n]*$/);
});

/*
 * What the container runs, short of a container engine (`npm run image:check` builds and runs the
 * real image): the output of the build commands laid out as the image's /app (package.json,
 * node_modules, dist/ with the static files next to the compiled code; no TypeScript sources, no
 * src/ or static/ folder), started with plain node as `CMD ["node", "dist/src/server.js"]`.
 */
t.test('the compiled service starts from an image-like layout against the compiled sandbox', async (t) => {
  const app = mkdtempSync(join(tmpdir(), 'flinks-pay-image-'));
  t.teardown(() => {
    rmSync(app, { recursive: true, force: true });
  });
  copyFileSync(repoPath('package.json'), join(app, 'package.json'));
  symlinkSync(repoPath('node_modules'), join(app, 'node_modules'), 'dir');
  const tsc = await run(process.execPath, [
    repoPath('node_modules/typescript/bin/tsc'),
    '-p',
    repoPath('tsconfig.build.json'),
    '--outDir',
    join(app, 'dist'),
    // The same JavaScript `npm run build` emits, without checking the types again: `npm run
    // typecheck` does that at the start of `npm test`, and it took over half of this compile (5.4 s
    // against 2.2 s on an idle machine).
    '--noCheck',
  ]);
  t.equal(tsc.code, 0, `tsc -p tsconfig.build.json\n${tsc.stdout}${tsc.stderr}`);
  const copy = await run(process.execPath, ['--import', 'tsx', repoPath('scripts/copy-assets.ts'), join(app, 'dist')]);
  t.equal(copy.code, 0, `copy-assets dist\n${copy.stderr}`);

  const plainNode: string[] = [];
  const sandbox = await startProcess(
    t,
    join(app, 'dist/sandbox/standalone.js'),
    { SANDBOX_PORT: '0', HOST: '127.0.0.1' },
    /sandbox listening at (http:\/\/[^"\s]+)/,
    plainNode,
  );
  const server = await startProcess(
    t,
    join(app, 'dist/src/server.js'),
    {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      FLINKS_BASE_URL: sandbox.url,
      FLINKS_APP_URL: sandbox.url,
      FLINKS_USERNAME: 'sandbox',
      FLINKS_PASSWORD: 'sandbox',
      DEMO_PAGE: 'true',
    },
    BFF_LISTENING,
    plainNode,
  );

  for (const path of ['/health', '/ready']) {
    const probe = await request(`${server.url}${path}`);
    t.equal(probe.statusCode, 200, path);
    await probe.body.dump();
  }
  const created = await request(`${server.url}/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(validCheckout()),
  });
  t.equal(created.statusCode, 201);
  const { launchUrl } = (await created.body.json()) as { launchUrl: string };
  t.match(launchUrl, `${sandbox.url}/app/?sessionId=`);

  for (const url of [launchUrl, `${server.url}/`]) {
    const page = await request(url);
    t.equal(page.statusCode, 200, `${url} is served from the compiled output`);
    t.match(page.headers['content-type'], /^text\/html/);
    await page.body.dump();
  }

  server.child.kill('SIGTERM');
  t.match(await server.exited, { code: 0 }, 'SIGTERM ends the service cleanly');
});
