import t from 'tap';
import { loadConfig } from '../../src/config/config.js';
import { configError, remoteEnv, remoteFlinks, type Env } from './support.js';

const SIGNING_SECRET = 'signing-secret-of-at-least-32-bytes-0123';
const WHSEC = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const OPS_TOKEN = 'ops-token-0123456789abcdefghijklmnopqrstuv';

t.test('every secret loses the spaces an env file left around it, as OPS_TOKENS and MERCHANT_WEBHOOK_SECRET do', (t) => {
  const flinks = remoteFlinks(loadConfig(remoteEnv({ FLINKS_USERNAME: ' merchant ', FLINKS_PASSWORD: '\tpw-value \r' })));
  t.equal(flinks.username, 'merchant');
  t.equal(flinks.password, 'pw-value');
  t.same(loadConfig({ CHECKOUT_SIGNING_SECRET: ` ${SIGNING_SECRET} ` }).intentKeys, { mode: 'secret', secret: SIGNING_SECRET });
  t.equal(loadConfig({ FLINKS_WEBHOOK_SECRET: ' flinks-issued ' }).outcomes.flinksWebhook?.secret, 'flinks-issued');
  t.end();
});

t.test('FLINKS_WEBHOOK_SECRET has no minimum length: Flinks issues it, in a format it does not publish', (t) => {
  t.equal(loadConfig({ FLINKS_WEBHOOK_SECRET: 'abc' }).outcomes.flinksWebhook?.secret, 'abc');
  t.end();
});

const QUOTED: [key: string, env: Env][] = [
  ['FLINKS_USERNAME', remoteEnv({ FLINKS_USERNAME: '"merchant-q1"' })],
  ['FLINKS_PASSWORD', remoteEnv({ FLINKS_PASSWORD: "'pw-q2'" })],
  ['CHECKOUT_SIGNING_SECRET', { CHECKOUT_SIGNING_SECRET: `"${SIGNING_SECRET}-q3"` }],
  ['FLINKS_WEBHOOK_SECRET', { FLINKS_WEBHOOK_SECRET: ' "flinks-q4" ' }],
  ['MERCHANT_WEBHOOK_SECRET', { MERCHANT_WEBHOOK_URL: 'https://shop.test/hook', MERCHANT_WEBHOOK_SECRET: `'${WHSEC}'` }],
  [
    'MERCHANT_WEBHOOK_PREVIOUS_SECRET',
    { MERCHANT_WEBHOOK_URL: 'https://shop.test/hook', MERCHANT_WEBHOOK_SECRET: WHSEC, MERCHANT_WEBHOOK_PREVIOUS_SECRET: `"${WHSEC}"` },
  ],
  ['OPS_TOKENS', { OPS_TOKENS: `"${OPS_TOKEN}-q5"` }],
];

for (const [key, env] of QUOTED) {
  t.test(`${key} wrapped in matching quotes (docker --env-file keeps them) stops start-up, naming it, never showing it`, (t) => {
    const message = configError(t, env);
    t.match(message, new RegExp(`^Invalid configuration: ${key}: expected the value without surrounding quotes`));
    t.notMatch(message, /-q\d|whsec_|pw-/, 'the value is not echoed');
    t.end();
  });
}

t.test('a quote inside a secret, or quotes that do not match, are part of it', (t) => {
  t.equal(remoteFlinks(loadConfig(remoteEnv({ FLINKS_PASSWORD: `"pw'` }))).password, `"pw'`);
  t.equal(remoteFlinks(loadConfig(remoteEnv({ FLINKS_PASSWORD: 'p"w"' }))).password, 'p"w"');
  t.end();
});

t.test('OPS_TOKENS set but holding no token stops start-up instead of switching the operations API off', (t) => {
  for (const value of [',,,', ' , ', ',']) {
    t.match(configError(t, { OPS_TOKENS: value }), /^Invalid configuration: OPS_TOKENS: set but holding no token/, JSON.stringify(value));
  }
  t.same(loadConfig({ OPS_TOKENS: '  ' }).ops.tokens, [], 'blank is unset: off');
  t.same(loadConfig({ OPS_TOKENS: `${OPS_TOKEN},` }).ops.tokens, [OPS_TOKEN], 'a trailing comma is harmless');
  t.end();
});

t.test('CHECKOUT_JWKS_COOLDOWN_MS under 1000 is refused: 0 refetches the key set for every unknown kid', (t) => {
  const jwks = { CHECKOUT_JWKS_URL: 'https://shop.test/jwks.json' };
  for (const value of ['0', '999']) {
    t.match(
      configError(t, { ...jwks, CHECKOUT_JWKS_COOLDOWN_MS: value }),
      /^Invalid configuration: CHECKOUT_JWKS_COOLDOWN_MS: expected a whole number from 1000 /,
    );
  }
  t.match(loadConfig({ ...jwks, CHECKOUT_JWKS_COOLDOWN_MS: '1000' }).intentKeys, { mode: 'jwks', cooldownMs: 1000 });
  t.end();
});
