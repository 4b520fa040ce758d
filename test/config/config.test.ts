import t from 'tap';
import { readFile } from 'node:fs/promises';
import { EnvSchema } from '../../src/config/env-schema.js';
import { loadConfig } from '../../src/config/config.js';
import { configError, remoteEnv, remoteFlinks } from './support.js';

t.test('loadConfig with an empty environment uses the sandbox and the documented defaults', (t) => {
  const config = loadConfig({});

  t.equal(config.flinks.mode, 'sandbox');
  t.equal(config.nodeEnv, 'development');
  t.equal(config.port, 3000);
  t.equal(config.host, '0.0.0.0');
  t.equal(config.logLevel, 'info');
  t.same(config.rateLimit, { max: 60, windowMs: 60_000 });
  t.equal(config.upstream.timeoutMs, 10_000);
  t.same(config.corsOrigins, []);
  t.equal(config.trustProxy, false);
  t.equal(config.requestTimeoutMs, 15_000);
  t.end();
});

t.test('loadConfig returns a frozen config', (t) => {
  const config = loadConfig({});

  t.ok(Object.isFrozen(config));
  t.throws(() => {
    Object.assign(config, { port: 1 });
  }, TypeError);
  t.end();
});

t.test('loadConfig treats empty strings as unset', (t) => {
  const config = loadConfig({
    NODE_ENV: '',
    PORT: '',
    HOST: '',
    LOG_LEVEL: '',
    FLINKS_BASE_URL: '',
    FLINKS_APP_URL: '',
    FLINKS_USERNAME: '',
    FLINKS_PASSWORD: '',
    FLINKS_INSTANCE: '',
    CORS_ORIGINS: '',
    RATE_LIMIT_MAX: '',
    RATE_LIMIT_WINDOW: '',
    UPSTREAM_TIMEOUT_MS: '',
    TRUST_PROXY: '',
  });

  t.same(config, loadConfig({}));
  t.end();
});

t.test('loadConfig with FLINKS_BASE_URL and credentials is in remote mode, trailing slash trimmed', (t) => {
  const flinks = remoteFlinks(loadConfig(remoteEnv({ FLINKS_INSTANCE: 'merchant-toolbox' })));

  t.same(flinks, {
    mode: 'remote',
    baseUrl: 'https://api.flinks.test',
    appUrl: 'https://api.flinks.test',
    username: 'merchant',
    password: 's3cret',
    instance: 'merchant-toolbox',
    authorizeStyle: 'basic',
  });
  t.end();
});

t.test('loadConfig reads FLINKS_AUTHORIZE_STYLE: basic by default, basic+form on request, nothing else', (t) => {
  t.match(remoteFlinks(loadConfig(remoteEnv({ FLINKS_AUTHORIZE_STYLE: 'basic+form' }))), { authorizeStyle: 'basic+form' });
  t.throws(() => loadConfig(remoteEnv({ FLINKS_AUTHORIZE_STYLE: 'form' })), /FLINKS_AUTHORIZE_STYLE/);
  t.end();
});

t.test('loadConfig takes FLINKS_APP_URL when given, trailing slash trimmed', (t) => {
  const flinks = remoteFlinks(loadConfig(remoteEnv({ FLINKS_APP_URL: 'https://pay.flinks.test/' })));

  t.equal(flinks.baseUrl, 'https://api.flinks.test');
  t.equal(flinks.appUrl, 'https://pay.flinks.test');
  t.end();
});

t.test('loadConfig rejects FLINKS_BASE_URL without FLINKS_PASSWORD, naming FLINKS_PASSWORD', (t) => {
  const message = configError(t, remoteEnv({ FLINKS_PASSWORD: undefined }));

  t.match(message, /FLINKS_PASSWORD/);
  t.notMatch(message, /FLINKS_USERNAME/);
  t.end();
});

t.test('loadConfig rejects FLINKS_BASE_URL without FLINKS_USERNAME, naming FLINKS_USERNAME', (t) => {
  t.match(configError(t, remoteEnv({ FLINKS_USERNAME: '' })), /FLINKS_USERNAME/);
  t.end();
});

t.test('loadConfig refuses a Flinks URL holding user:password@ or spaces, without echoing it', (t) => {
  for (const [key, url] of [
    ['FLINKS_BASE_URL', 'https://user:pw-in-url-1@api.flinks.test'],
    ['FLINKS_APP_URL', 'https://user:pw-in-url-2@pay.flinks.test/'],
    ['FLINKS_BASE_URL', 'https://api.flinks.test/ bad'],
  ] as const) {
    const message = configError(t, remoteEnv({ [key]: url }));
    t.match(message, new RegExp(`: ${key}: expected a URL without`), `${url} names ${key}`);
    t.notMatch(message, /pw-in-url/, 'the password is not echoed');
  }
  t.end();
});

t.test('loadConfig rejects NODE_ENV=production without FLINKS_BASE_URL, naming FLINKS_BASE_URL', (t) => {
  t.match(configError(t, { NODE_ENV: 'production' }), /FLINKS_BASE_URL/);
  t.end();
});

t.test('loadConfig accepts NODE_ENV=production with a Flinks URL and credentials', (t) => {
  const config = loadConfig(remoteEnv({ NODE_ENV: 'production' }));

  t.equal(config.nodeEnv, 'production');
  t.equal(config.flinks.mode, 'remote');
  t.end();
});

const MALFORMED: [label: string, key: string, value: string][] = [
  ['a PORT that is not a number', 'PORT', 'abc'],
  ['a PORT above 65535', 'PORT', '70000'],
  ['an unknown LOG_LEVEL', 'LOG_LEVEL', 'loud'],
  ['a FLINKS_BASE_URL that is not http(s)', 'FLINKS_BASE_URL', 'ftp://x'],
  ['a RATE_LIMIT_WINDOW that is not a duration', 'RATE_LIMIT_WINDOW', 'soon'],
  ['an UPSTREAM_TIMEOUT_MS below 100', 'UPSTREAM_TIMEOUT_MS', '5'],
  ['a TRUST_PROXY that is neither a boolean, a hop count nor addresses', 'TRUST_PROXY', 'maybe'],
  ['a REQUEST_TIMEOUT_MS below 100', 'REQUEST_TIMEOUT_MS', '10'],
  ['a CORS_ORIGINS entry that is not a URL', 'CORS_ORIGINS', 'not-a-url'],
];

for (const [label, key, value] of MALFORMED) {
  t.test(`loadConfig rejects ${label}, naming ${key}`, (t) => {
    const message = configError(t, { [key]: value });

    t.match(message, new RegExp(`\\b${key}\\b`));
    t.end();
  });
}

t.test('loadConfig lists every malformed setting in one message', (t) => {
  const env = Object.fromEntries(MALFORMED.map(([, key, value]) => [key, value]));
  const message = configError(t, env);

  for (const key of new Set(MALFORMED.map(([, key]) => key))) t.match(message, new RegExp(`\\b${key}\\b`));
  t.end();
});

t.test('loadConfig splits CORS_ORIGINS on commas and trims each origin', (t) => {
  const config = loadConfig({ CORS_ORIGINS: ' https://shop.example.test ,http://localhost:5173,, ' });

  t.same(config.corsOrigins, ['https://shop.example.test', 'http://localhost:5173']);
  t.end();
});

t.test('loadConfig rejects a CORS_ORIGINS entry that is not http(s), naming CORS_ORIGINS', (t) => {
  t.match(configError(t, { CORS_ORIGINS: 'https://shop.example.test,javascript:alert(1)' }), /CORS_ORIGINS/);
  t.end();
});

const WINDOWS: [text: string, ms: number][] = [
  ['1 minute', 60_000],
  ['30s', 30_000],
  ['1 second', 1000],
  ['60000', 60_000],
  ['1000', 1000],
];

for (const [text, ms] of WINDOWS) {
  t.test(`loadConfig reads RATE_LIMIT_WINDOW "${text}" as ${ms} ms`, (t) => {
    t.equal(loadConfig({ RATE_LIMIT_WINDOW: text }).rateLimit.windowMs, ms);
    t.end();
  });
}

t.test('the status budgets grow with RATE_LIMIT_MAX unless set: an address raised for many shoppers reads for all of them', (t) => {
  const statusBudgets = (env: Record<string, string>) => {
    const config = loadConfig(env);
    return { reads: config.statusRateLimit.max, notFound: config.statusNotFoundLimit };
  };
  t.same(statusBudgets({}), { reads: 600, notFound: 300 }, 'the defaults for 60 checkouts a window');
  t.same(statusBudgets({ RATE_LIMIT_MAX: '10' }), { reads: 600, notFound: 300 }, 'a stricter checkout limit keeps them');
  t.same(statusBudgets({ RATE_LIMIT_MAX: '1000' }), { reads: 10_000, notFound: 5000 }, '10 reads and 5 404s for each checkout allowed');
  t.same(statusBudgets({ RATE_LIMIT_MAX: '1000000' }), { reads: 1_000_000, notFound: 1_000_000 }, 'within their own range');
  t.same(statusBudgets({ RATE_LIMIT_MAX: '1000', STATUS_RATE_LIMIT_MAX: '50', STATUS_NOT_FOUND_LIMIT: '7' }), { reads: 50, notFound: 7 }, 'a set one wins');
  t.equal(loadConfig({ RATE_LIMIT_WINDOW: '10s' }).statusRateLimit.windowMs, 10_000, 'over the same window');
  t.end();
});

t.test('loadConfig refuses a RATE_LIMIT_WINDOW under 1 second: it would switch every rate limit off', (t) => {
  for (const text of ['1', '999', '500 ms', '0.5s']) {
    t.match(
      configError(t, { RATE_LIMIT_WINDOW: text }),
      /^Invalid configuration: RATE_LIMIT_WINDOW: expected at least 1 second, such as "1 minute", "30s" or 60000 \(a bare number is milliseconds\)$/,
      text,
    );
  }
  t.end();
});

t.test('loadConfig reads TRUST_PROXY true as true, 1 as one proxy hop, and false/0 as false', (t) => {
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
  t.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1);
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
  t.equal(loadConfig({ TRUST_PROXY: '0' }).trustProxy, false);
  t.end();
});

t.test('loadConfig never puts a secret value in its error message', (t) => {
  const message = configError(t, remoteEnv({ FLINKS_PASSWORD: 'hunter2-secret', PORT: 'abc' }));

  t.notMatch(message, /hunter2-secret/);
  t.end();
});

t.test('loadConfig reports rules between settings together with malformed settings', (t) => {
  const message = configError(t, { NODE_ENV: 'production', PORT: 'abc' });
  t.match(message, /PORT: /);
  t.match(message, /FLINKS_BASE_URL: required when NODE_ENV=production/);
  const missing = configError(t, { FLINKS_BASE_URL: 'https://api.flinks.test', FLINKS_USERNAME: 'm', PORT: 'abc' });
  t.match(missing, /FLINKS_PASSWORD: required/);
  t.end();
});

t.test('loadConfig reads numbers only as plain digits', (t) => {
  for (const value of ['1e3', '0x10', '-1', '12.5', '3000abc']) {
    t.match(configError(t, { PORT: value }), /^Invalid configuration: PORT: /, `PORT=${value}`);
  }
  t.equal(loadConfig({ PORT: ' ' }).port, 3000, 'a blank value means the default');
  t.equal(loadConfig({ SHUTDOWN_TIMEOUT_MS: '  ' }).shutdownTimeoutMs, 35_000, 'the default: one whole checkout plus a margin');
  t.end();
});

t.test('loadConfig keeps CORS_ORIGINS to bare origins', (t) => {
  t.same(loadConfig({ CORS_ORIGINS: 'https://shop.test/' }).corsOrigins, ['https://shop.test']);
  t.match(configError(t, { CORS_ORIGINS: 'https://a.test/shop?x=1' }), /CORS_ORIGINS/);
  t.end();
});

t.test('loadConfig freezes nested settings too', (t) => {
  const config = loadConfig(remoteEnv());
  t.ok(Object.isFrozen(config.rateLimit));
  t.ok(Object.isFrozen(config.flinks));
  t.ok(Object.isFrozen(config.corsOrigins));
  t.end();
});

t.test('loadConfig refuses a FLINKS_BASE_URL with a query or fragment', (t) => {
  t.match(configError(t, remoteEnv({ FLINKS_BASE_URL: 'https://api.flinks.test/v1?x=1#f' })), /FLINKS_BASE_URL: expected a URL without query/);
  t.end();
});

t.test('.env.example lists every variable of the config schema, and nothing else', async (t) => {
  const text = await readFile(new URL('../../.env.example', import.meta.url), 'utf8');
  const listed = [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]);
  t.same([...new Set(listed)].sort(), Object.keys(EnvSchema.shape).sort());
});
