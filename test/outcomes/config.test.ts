import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { newWebhookSecret } from './support.js';

/* The outcome-delivery settings of docs/configuration.md: defaults, and the rules between them. */

const production = {
  NODE_ENV: 'production',
  FLINKS_BASE_URL: 'https://flinks.example',
  FLINKS_USERNAME: 'u',
  FLINKS_PASSWORD: 'p',
};

function problem(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return 'no error';
}

t.test('defaults: reconcile from 30 s for 168 h, webhooks off, deliveries retried from 10 s for 72 h', (t) => {
  const { outcomes } = loadConfig(production);
  t.match(outcomes.reconcile, { firstDelayMs: 30_000, maxDelayMs: 1_800_000, maxAgeMs: 168 * 3_600_000, concurrency: 4, maxPerSecond: 10, freshForMs: 30_000 });
  t.equal(outcomes.flinksWebhook, undefined);
  t.equal(outcomes.merchantWebhook, undefined);
  t.match(outcomes.delivery, { maxAgeMs: 72 * 3_600_000, retryFirstMs: 10_000, retryMaxMs: 3_600_000, timeoutMs: 10_000 });
  t.equal(outcomes.flinksWebhookSignatureHeader, 'x-webhook-signature');
  t.end();
});

t.test('in production reconciliation never reads a checkout more often than every 30 s', (t) => {
  t.match(problem({ ...production, RECONCILE_FIRST_DELAY_MS: '29999' }), /RECONCILE_FIRST_DELAY_MS: at least 30000 when NODE_ENV=production/);
  t.equal(loadConfig({ NODE_ENV: 'test', RECONCILE_FIRST_DELAY_MS: '50' }).outcomes.reconcile.firstDelayMs, 50, 'tests may go faster');
  t.end();
});

t.test('merchant webhooks need a URL and a Standard Webhooks secret together; https in production', (t) => {
  const secret = newWebhookSecret();
  t.match(problem({ MERCHANT_WEBHOOK_URL: 'https://shop.example/hook' }), /MERCHANT_WEBHOOK_URL, MERCHANT_WEBHOOK_SECRET: set both or neither/);
  t.match(problem({ MERCHANT_WEBHOOK_URL: 'https://shop.example/hook', MERCHANT_WEBHOOK_SECRET: 'plain-text' }), /MERCHANT_WEBHOOK_SECRET: expected whsec_/);
  t.match(problem({ MERCHANT_WEBHOOK_URL: 'https://shop.example/hook', MERCHANT_WEBHOOK_SECRET: 'whsec_c2hvcnQ=' }), /24 to 64 random bytes/);
  t.match(
    problem({ ...production, MERCHANT_WEBHOOK_URL: 'http://shop.example/hook', MERCHANT_WEBHOOK_SECRET: secret }),
    /must be https when NODE_ENV=production/,
  );
  t.match(problem({ MERCHANT_WEBHOOK_PREVIOUS_SECRET: secret }), /MERCHANT_WEBHOOK_PREVIOUS_SECRET: only with MERCHANT_WEBHOOK_SECRET/);
  const previous = newWebhookSecret();
  const config = loadConfig({
    ...production,
    MERCHANT_WEBHOOK_URL: 'https://shop.example/hook/',
    MERCHANT_WEBHOOK_SECRET: secret,
    MERCHANT_WEBHOOK_PREVIOUS_SECRET: previous,
  });
  t.same(config.outcomes.merchantWebhook, { url: 'https://shop.example/hook/', secrets: [secret, previous] }, 'the URL as given; the new secret first');
  t.end();
});

t.test('Flinks webhooks are on with a secret; the header name is read case-insensitively', (t) => {
  const config = loadConfig({ FLINKS_WEBHOOK_SECRET: 's3cret', FLINKS_WEBHOOK_SIGNATURE_HEADER: 'Flinks-Signature' });
  t.same(config.outcomes.flinksWebhook, { secret: 's3cret' });
  t.equal(config.outcomes.flinksWebhookSignatureHeader, 'flinks-signature');
  t.match(problem({ FLINKS_WEBHOOK_SIGNATURE_HEADER: 'bad header' }), /FLINKS_WEBHOOK_SIGNATURE_HEADER: expected an HTTP header name/);
  t.end();
});
