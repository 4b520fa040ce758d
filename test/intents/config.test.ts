import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { SECRET } from './support.js';

const base = { NODE_ENV: 'test', LOG_LEVEL: 'silent' };

function configError(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return 'no error';
}

t.test('CHECKOUT_SIGNING_SECRET must be at least 32 bytes, and is never echoed', (t) => {
  const short = 'x'.repeat(31);
  const message = configError({ CHECKOUT_SIGNING_SECRET: short });
  t.match(message, /^Invalid configuration: CHECKOUT_SIGNING_SECRET: must be at least 32 bytes/);
  t.notMatch(message, short);
  t.match(configError({ CHECKOUT_SIGNING_SECRET: 'é'.repeat(15) }), /at least 32 bytes/, '30 bytes in UTF-8');
  t.same(loadConfig({ ...base, CHECKOUT_SIGNING_SECRET: 'é'.repeat(16) }).intentKeys, { mode: 'secret', secret: 'é'.repeat(16) }, '32 bytes');
  t.equal(loadConfig({ ...base, CHECKOUT_SIGNING_SECRET: '' }).intentKeys, undefined, 'blank means unset');
  t.end();
});

t.test('CHECKOUT_JWKS_URL: an http(s) URL, with timeout and cooldown', (t) => {
  t.same(loadConfig({ ...base, CHECKOUT_JWKS_URL: 'https://shop.example/.well-known/jwks.json' }).intentKeys, {
    mode: 'jwks',
    url: 'https://shop.example/.well-known/jwks.json',
    timeoutMs: 5000,
    cooldownMs: 30_000,
  });
  t.match(configError({ CHECKOUT_JWKS_URL: 'ftp://shop.example/jwks' }), /CHECKOUT_JWKS_URL: expected an http\(s\) URL/);
  t.match(configError({ CHECKOUT_JWKS_URL: 'https://x.example/j', CHECKOUT_JWKS_TIMEOUT_MS: '10' }), /CHECKOUT_JWKS_TIMEOUT_MS/);
  t.end();
});

t.test('a secret and a key set together are refused: one trust anchor', (t) => {
  t.match(
    configError({ CHECKOUT_SIGNING_SECRET: SECRET, CHECKOUT_JWKS_URL: 'https://shop.example/jwks.json' }),
    /CHECKOUT_SIGNING_SECRET, CHECKOUT_JWKS_URL: set one of them, not both/,
  );
  t.end();
});

t.test('in production the key set must come over https', (t) => {
  const production = { NODE_ENV: 'production', FLINKS_BASE_URL: 'https://api.flinks.test', FLINKS_USERNAME: 'u', FLINKS_PASSWORD: 'p' };
  t.match(configError({ ...production, CHECKOUT_JWKS_URL: 'http://shop.example/jwks.json' }), /CHECKOUT_JWKS_URL: must be https when NODE_ENV=production/);
  t.equal(loadConfig({ ...production, CHECKOUT_JWKS_URL: 'https://shop.example/jwks.json' }).intentKeys?.mode, 'jwks');
  t.end();
});
