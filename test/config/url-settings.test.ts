import t from 'tap';
import { loadConfig } from '../../src/config/config.js';
import { configError, remoteEnv } from './support.js';
import { runToExit } from '../support/process.js';

/** Values a URL setting can be handed that do not parse as a URL at all. */
const UNPARSABLE = ['"https://pw-1.flinks.test"', "'https://pw-2.flinks.test'", 'not a url pw-3', 'https://', 'https://pw-4 .flinks.test'];

t.test('an unparsable URL setting stops start-up with one line naming it, never the value', (t) => {
  for (const key of ['FLINKS_BASE_URL', 'FLINKS_APP_URL', 'CHECKOUT_JWKS_URL', 'MERCHANT_WEBHOOK_URL', 'REDIS_URL']) {
    for (const value of UNPARSABLE) {
      const message = configError(t, remoteEnv({ [key]: value }));
      t.match(message, new RegExp(`^Invalid configuration: ${key}: expected `), `${key}=${value}`);
      t.notMatch(message, /pw-\d/, 'the value is not echoed');
    }
  }
  t.end();
});

t.test('a quoted URL, as docker --env-file keeps it, is named as quoted', (t) => {
  t.match(configError(t, remoteEnv({ FLINKS_BASE_URL: '"https://api.flinks.test"' })), /FLINKS_BASE_URL: expected a URL without surrounding quotes/);
  t.end();
});

t.test('CHECKOUT_JWKS_URL and MERCHANT_WEBHOOK_URL with user:password@ are refused without echoing it', (t) => {
  const secret = 'whsec_' + Buffer.alloc(32, 1).toString('base64');
  for (const [key, extra] of [
    ['CHECKOUT_JWKS_URL', {}],
    ['MERCHANT_WEBHOOK_URL', { MERCHANT_WEBHOOK_SECRET: secret }],
  ] as const) {
    const message = configError(t, { [key]: 'https://shop:pw-in-url@shop.example/hook', ...extra });
    t.match(message, new RegExp(`^Invalid configuration: ${key}: expected a URL without user:password@`), key);
    t.notMatch(message, /pw-in-url/);
  }
  t.end();
});

t.test('REDIS_URL needs a host; its password stays allowed', (t) => {
  t.match(configError(t, { REDIS_URL: 'redis://' }), /^Invalid configuration: REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/);
  t.match(configError(t, { REDIS_URL: 'rediss://:pw@' }), /REDIS_URL: expected/);
  t.equal(loadConfig({ REDIS_URL: 'redis://:pw@127.0.0.1:6379/2' }).redis?.url, 'redis://:pw@127.0.0.1:6379/2');
  t.end();
});

t.test('a REDIS_URL password or user that is not percent-encoded (a bare %) is one line, not the stack trace of ioredis decoding it', (t) => {
  for (const url of ['redis://:pw-5%zz@127.0.0.1:6379', 'redis://:pw-6%E0%A4%A@127.0.0.1:6379', 'redis://pw-7%@127.0.0.1:6379']) {
    const message = configError(t, { REDIS_URL: url });
    t.match(message, /^Invalid configuration: REDIS_URL: expected the user name and password percent-encoded \(write % as %25\)$/, url);
    t.notMatch(message, /pw-\d/, 'the value is not echoed');
  }
  t.equal(loadConfig({ REDIS_URL: 'redis://:100%25-sure@127.0.0.1:6379' }).redis?.url, 'redis://:100%25-sure@127.0.0.1:6379', 'an encoded % is fine');
  t.end();
});

t.test('a REDIS_URL database that is not 0-15 is one line: not a stack trace from SELECT, nor queues failing behind a ready instance', (t) => {
  for (const url of [
    'redis://:pw-8@127.0.0.1:6379/abc',
    'redis://127.0.0.1:6379/99',
    'redis://127.0.0.1:6379/1/2',
    'redis://127.0.0.1:6379?db=abc',
    'redis://127.0.0.1:6379/0?db=16',
  ]) {
    const message = configError(t, { REDIS_URL: url });
    t.match(message, /^Invalid configuration: REDIS_URL: expected a database number from 0 to 15 after the host, if any \(redis:\/\/host:6379\/0\)$/, url);
    t.notMatch(message, /pw-8/, 'the value is not echoed');
  }
  for (const url of ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379/', 'redis://127.0.0.1:6379/15', 'rediss://:pw@127.0.0.1:6380/0?db=3']) {
    t.equal(loadConfig({ REDIS_URL: url }).redis?.url, url);
  }
  t.end();
});

t.test('a FLINKS_BASE_URL ending in /api/v1 or /api/v2 is refused: the client appends /api/v1/...', (t) => {
  for (const url of ['https://api.flinks.test/api/v1', 'https://api.flinks.test/api/v1/', 'https://api.flinks.test/x/API/V2//']) {
    t.match(configError(t, remoteEnv({ FLINKS_BASE_URL: url })), /^Invalid configuration: FLINKS_BASE_URL: expected the base without \/api\/v1/, url);
  }
  const kept = loadConfig(remoteEnv({ FLINKS_BASE_URL: ' https://api.flinks.test/gateway/ ' })).flinks;
  t.match(kept, { mode: 'remote', baseUrl: 'https://api.flinks.test/gateway' }, 'another path is kept, slash and spaces trimmed');
  t.end();
});

t.test('a CORS_ORIGINS entry with a wildcard is refused: wildcards are not supported', (t) => {
  for (const value of ['https://*.a.com', '*', 'https://shop.test,https://*.shop.test']) {
    t.match(configError(t, { CORS_ORIGINS: value }), /^Invalid configuration: CORS_ORIGINS[.\d]*: wildcards are not supported/, value);
  }
  t.end();
});

t.test('the server given an unparsable FLINKS_BASE_URL exits 1 with one line that never shows it', async (t) => {
  const result = await runToExit('src/server.ts', remoteEnv({ FLINKS_BASE_URL: 'https://user:pw-in-url@' }) as Record<string, string>);
  t.equal(result.code, 1);
  t.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  t.match(result.stderr, /^Invalid configuration: FLINKS_BASE_URL: expected an http\(s\) URL/);
  t.notMatch(result.stderr, /pw-in-url/);
});
