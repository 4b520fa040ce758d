import t from 'tap';
import { loadConfig } from '../../src/config/config.js';
import { startUpWarnings } from '../../src/config/start-up-warnings.js';
import { remoteEnv, type Env } from './support.js';

const SIGNING_SECRET = 'a-signing-secret-of-at-least-thirty-two-bytes';
const UNSIGNED_BROWSER_AMOUNTS =
  /^CORS_ORIGINS lets browsers call this service, but neither CHECKOUT_SIGNING_SECRET nor CHECKOUT_JWKS_URL is set: a shopper can choose the amount/;

function warningsFor(env: Env): string[] {
  return startUpWarnings(loadConfig(remoteEnv({ FLINKS_INSTANCE: 'merchant-prod', ...env })));
}

t.test('production with browser origins and no intent signing: start-up says a shopper can choose the amount', (t) => {
  const warnings = warningsFor({ NODE_ENV: 'production', CORS_ORIGINS: 'https://shop.example.com' });
  t.match(warnings, [UNSIGNED_BROWSER_AMOUNTS]);
  t.notMatch(warnings.join('\n'), /shop\.example\.com/, 'without showing the setting');
  t.end();
});

t.test('no such warning where unsigned amounts are what was meant, or cannot come from a browser', (t) => {
  const production = { NODE_ENV: 'production', CORS_ORIGINS: 'https://shop.example.com' };
  t.strictSame(warningsFor({ ...production, CHECKOUT_SIGNING_SECRET: SIGNING_SECRET }), [], 'intents signed with a secret');
  t.strictSame(warningsFor({ ...production, CHECKOUT_JWKS_URL: 'https://shop.example.com/.well-known/jwks.json' }), [], 'or with a key set');
  t.strictSame(warningsFor({ NODE_ENV: 'production' }), [], 'no browser origin: trusted server-to-server callers');
  t.strictSame(warningsFor({ CORS_ORIGINS: 'https://shop.example.com' }), [], 'not production: development and tests');
  t.end();
});
