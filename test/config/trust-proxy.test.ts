import t, { type Test } from 'tap';
import { loadConfig, ConfigError } from '../../src/config/config.js';
import { captureLogs, setUp } from '../support/build.js';

t.test('TRUST_PROXY takes true/false, a hop count, or a list of proxy addresses and CIDRs', (t) => {
  const cases: [string, unknown][] = [
    ['false', false],
    ['0', false],
    ['true', true],
    ['1', 1],
    ['2', 2],
    ['10.0.0.1', ['10.0.0.1']],
    [' 10.0.0.0/8 , 192.168.1.7,fd00::/8, ::1 ', ['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1']],
    ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
  ];
  for (const [value, expected] of cases) t.same(loadConfig({ TRUST_PROXY: value }).trustProxy, expected, value);
  t.equal(loadConfig({ TRUST_PROXY: '' }).trustProxy, false, 'blank is the default');
  t.end();
});

t.test('a bad TRUST_PROXY stops start-up with one line saying what is expected', (t) => {
  for (const value of ['yes', '1.5', '-1', '10.0.0.0/33', '300.1.1.1', '10.0.0.1,,10.0.0.2', 'fd00::/129', '10.0.0.1/8/9', 'proxy.internal']) {
    let message = '';
    try {
      loadConfig({ TRUST_PROXY: value });
    } catch (error) {
      if (error instanceof ConfigError) message = error.message;
    }
    t.match(message, /^Invalid configuration: TRUST_PROXY: expected true, false, a hop count such as 1, or comma-separated proxy addresses or CIDRs/, value);
    t.notMatch(message, /[\r\n]/, 'one line');
  }
  t.end();
});

/** The client address the app settles on (what rate limits key on), as its request log line reports it. */
async function clientAddressSeen(t: Test, trustProxy: string, forwardedFor: string): Promise<string | undefined> {
  const logs = captureLogs();
  const { app } = await setUp(t, { TRUST_PROXY: trustProxy, LOG_LEVEL: 'info' }, { logStream: logs.stream });
  await app.inject({ method: 'GET', url: '/checkout/unknown-id', headers: { 'x-forwarded-for': forwardedFor } });
  const accessLine = logs
    .lines()
    .map((line) => JSON.parse(line) as { msg?: string; req?: { remoteAddress?: string } })
    .find((entry) => entry.msg === 'request completed' && entry.req?.remoteAddress !== undefined);
  return accessLine?.req?.remoteAddress;
}

t.test('the client address honours exactly the proxies TRUST_PROXY names', async (t) => {
  // app.inject connects from 127.0.0.1: the first proxy, the one next to this service.
  const chain = '6.6.6.6, 1.1.1.1, 9.9.9.9';
  const cases: [string, string][] = [
    ['false', '127.0.0.1'],
    ['true', '6.6.6.6'],
    ['1', '9.9.9.9'],
    ['2', '1.1.1.1'],
    ['127.0.0.1', '9.9.9.9'],
    ['127.0.0.0/8,9.9.9.9', '1.1.1.1'],
    ['10.0.0.0/8', '127.0.0.1'],
  ];
  for (const [trustProxy, expected] of cases) {
    t.equal(await clientAddressSeen(t, trustProxy, chain), expected, `TRUST_PROXY=${trustProxy}`);
  }
});

t.test('TRUST_PROXY=true logs a start-up warning recommending a hop count; a hop count does not', async (t) => {
  const warningsFor = async (trustProxy: string) => {
    const logs = captureLogs();
    await setUp(t, { TRUST_PROXY: trustProxy, LOG_LEVEL: 'warn' }, { logStream: logs.stream });
    return logs
      .lines()
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => /TRUST_PROXY/.test(entry.msg));
  };
  const [warning, ...more] = await warningsFor('true');
  t.match(warning, { level: 40, msg: /TRUST_PROXY=true .* e\.g\. TRUST_PROXY=1/ });
  t.equal(more.length, 0);
  t.same(await warningsFor('1'), []);
  t.same(await warningsFor('10.0.0.0/8'), []);
});
