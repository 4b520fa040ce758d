import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCommand } from '../support/process.js';
import { readRepoFile } from './helpers.js';

/*
 * Nothing in the service reads a .env file by itself: .env.example must say so, and the way it
 * gives to keep the settings in a file must work as written.
 */
const header = readRepoFile('.env.example').split('\n').slice(0, 8).join('\n');

t.test('.env.example does not claim a .env file is read; it says to set the environment', (t) => {
  t.notMatch(header, /Copy to \.env/);
  t.match(header, /Set these in the environment/);
  t.match(header, /docker run --env-file/, 'names the docker way too');
  t.match(header, /keeps quotes/);
  t.end();
});

t.test('the node --env-file command .env.example gives reads the file, quotes stripped', async (t) => {
  const command = /`(node --env-file=\.env [^`]+)`/.exec(header)?.[1];
  t.equal(command, 'node --env-file=.env --import tsx src/server.ts');
  const dir = mkdtempSync(join(tmpdir(), 'flinks-pay-env-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, '.env');
  // Too short a secret: start-up stops at once, and the message shows the quotes were stripped
  // (a quoted value would be refused as quoted instead).
  writeFileSync(file, 'LOG_LEVEL="silent"\nCHECKOUT_SIGNING_SECRET="too-short"\n');
  const args = (command ?? '')
    .split(' ')
    .slice(1)
    .map((arg) => arg.replace('=.env', `=${file}`));
  const result = await runCommand(process.execPath, args);
  t.equal(result.code, 1);
  t.match(result.stderr.trim(), /^Invalid configuration: CHECKOUT_SIGNING_SECRET: must be at least 32 bytes[^\n]*$/);
});
