import t from 'tap';
import type { SandboxFault, SandboxStep } from '../../../sandbox/control.js';
import { buildTestApp, postCheckout, setUp, startSandbox, validCheckout } from '../../support/build.js';

const STEPS: SandboxStep[] = ['authorize', 'initiate', 'paymentrequest'];

const FAULTS: [string, SandboxFault, number, RegExp][] = [
  ['answers 500', { kind: 'status', status: 500, body: '{"secret":"upstream-detail-500"}' }, 502, /answered the .* call with an error\./],
  ['answers 503', { kind: 'status', status: 503 }, 502, /answered the .* call with an error\./],
  ['answers garbage', { kind: 'garbage' }, 502, /unusable answer/],
  ['answers JSON of the wrong shape', { kind: 'invalid' }, 502, /unusable answer/],
  ['redirects', { kind: 'status', status: 302, body: '' }, 502, /unusable answer/],
  ['hangs', { kind: 'hang' }, 504, /did not answer .* in time/],
];

for (const step of STEPS) {
  for (const [label, fault, status, detail] of FAULTS) {
    t.test(`POST /checkout answers ${status} when ${step} ${label}, and stops there`, async (t) => {
      const { app, control } = await setUp(t);
      control.inject(step, fault);
      const res = await postCheckout(app, validCheckout());
      t.equal(res.statusCode, status);
      t.match(res.headers['content-type'], /^application\/problem\+json/);
      t.match(res.json(), { status, detail, instance: '/checkout', requestId: res.headers['x-request-id'] });
      t.match(res.json(), { detail: /Start the checkout again with a new Idempotency-Key/ }, 'a retry with the same key would replay this answer');
      t.notMatch(res.body, /upstream-detail|oops|<html|evil/i, 'the upstream body is never relayed');
      const upTo = STEPS.slice(0, STEPS.indexOf(step) + 1);
      t.same(
        control.calls.map((c) => c.step),
        upTo,
        'nothing is retried, nothing after the failed step',
      );
    });
  }
}

t.test('a sessionId that is not a GUID never reaches a launch URL', async (t) => {
  const { app, control } = await setUp(t);
  control.inject('initiate', { kind: 'invalid' });
  const res = await postCheckout(app, validCheckout());
  t.equal(res.statusCode, 502);
  t.notMatch(res.body, /launchUrl/);
});

for (const step of ['initiate', 'paymentrequest'] as const) {
  t.test(`POST /checkout answers 502 when ${step} refuses the token it was just authorized for, and asks nothing more`, async (t) => {
    const { app, control } = await setUp(t);
    control.inject(step, { kind: 'status', status: 401 });
    const res = await postCheckout(app, validCheckout());
    t.equal(res.statusCode, 502);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.same(
      control.calls.map((c) => c.step),
      STEPS.slice(0, STEPS.indexOf(step) + 1),
      'one authorize, then each call once up to the refused one',
    );
  });
}

t.test('POST /checkout does not retry authorize when the credentials are refused', async (t) => {
  const { app, control } = await setUp(t, { FLINKS_PASSWORD: 'wrong' });
  const res = await postCheckout(app, validCheckout());
  t.equal(res.statusCode, 502);
  t.same(
    control.calls.map((c) => c.step),
    ['authorize'],
  );
});

t.test('POST /checkout answers 502 when Flinks cannot be reached at all', async (t) => {
  const sandbox = await startSandbox(t);
  await sandbox.app.close();
  const app = await buildTestApp(t, sandbox);
  const res = await postCheckout(app, validCheckout());
  t.equal(res.statusCode, 502);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
});
