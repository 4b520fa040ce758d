import { jwtVerify } from 'jose';
import t from 'tap';
import { secretKey } from '../../src/config/secret.js';
import { postCheckout, setUp } from '../support/build.js';
import { runCommand } from '../support/process.js';
import { customer, SECRET, SIGNED_ENV } from './support.js';

/* npm run intent -- --amount 12.34 --reference order-1: an intent for local testing. */

const runScript = (args: string[], env: Record<string, string>) => runCommand(process.execPath, ['--import', 'tsx', 'scripts/mint-intent.ts', ...args], env);

t.test('prints an intent the BFF accepts, with the amount, reference and a 10-minute default lifetime', async (t) => {
  const out = await runScript(['--amount', '12.3', '--reference', 'order-1'], SIGNED_ENV);
  t.equal(out.code, 0, out.stderr);
  const intent = out.stdout.trim();
  t.match(intent, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'only the token on stdout');
  t.match(out.stderr, /amount 12\.30, referenceId order-1, jti [0-9a-f-]{36}, expires /);
  const { payload } = await jwtVerify(intent, secretKey(SECRET), { algorithms: ['HS256'] });
  t.match(payload, { amount: '12.30', referenceId: 'order-1' });
  t.equal((payload.exp ?? 0) - (payload.iat ?? 0), 600);

  const { app, control } = await setUp(t, SIGNED_ENV);
  t.equal((await postCheckout(app, { intent, customer })).statusCode, 201);
  t.match(control.calls[1]?.rawBody, /^\{"amount":12\.30,"customerName":"Jane Doe",/);
});

t.test('--ttl and --jti are honoured; the lifetime is capped at 15 minutes', async (t) => {
  const out = await runScript(['--amount', '1', '--ttl', '90s', '--jti', 'order-1-attempt-1'], SIGNED_ENV);
  t.equal(out.code, 0, out.stderr);
  const { payload } = await jwtVerify(out.stdout.trim(), secretKey(SECRET), { algorithms: ['HS256'] });
  t.equal((payload.exp ?? 0) - (payload.iat ?? 0), 90);
  t.equal(payload.jti, 'order-1-attempt-1');
  t.match(payload.referenceId, /^order-[0-9a-f]{8}$/, 'a reference is made up when none is given');
  const tooLong = await runScript(['--amount', '1', '--ttl', '16m'], SIGNED_ENV);
  t.equal(tooLong.code, 2);
  t.match(tooLong.stderr, /--ttl: expected 1 to 900 seconds/);
});

t.test('refuses a missing or short secret, a bad amount and a jti the BFF would refuse, printing no token', async (t) => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--amount', '1'], {}, /CHECKOUT_SIGNING_SECRET is not set/],
    [['--amount', '1'], { CHECKOUT_SIGNING_SECRET: 'short' }, /at least 32 bytes/],
    [['--amount', '12.345'], SIGNED_ENV, /--amount: "12.345" is not a positive CAD amount/],
    [[], SIGNED_ENV, /--amount is required/],
    [['--amount', '1', '--reference', 'a/b'], SIGNED_ENV, /--reference/],
    [['--amount', '1', '--colour', 'red'], SIGNED_ENV, /Unknown option '--colour'/],
    // The BFF refuses any other jti, so the script must not print an intent that cannot be used.
    [['--amount', '1', '--jti', 'x'.repeat(200)], SIGNED_ENV, /--jti: expected 1-128 visible ASCII characters/],
    [['--amount', '1', '--jti', 'order 1'], SIGNED_ENV, /--jti: expected 1-128 visible ASCII characters/],
    [['--amount', '1', '--jti', ''], SIGNED_ENV, /--jti: expected 1-128 visible ASCII characters/],
  ];
  for (const [args, env, message] of cases) {
    const out = await runScript(args, env);
    t.equal(out.code, 2, args.join(' '));
    t.equal(out.stdout, '');
    t.match(out.stderr, message);
    t.match(out.stderr, /usage: npm run -s intent/);
  }
});
