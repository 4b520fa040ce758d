import t from 'tap';
import { statusAt, type Timeline } from '../../sandbox/progression.js';
import { SANDBOX_DEFAULTS } from '../../sandbox/sandbox-plugin.js';
import { FINAL_STATUSES, PAYMENT_STATUSES } from '../fixtures/flinks-pay-v1.js';
import { startSandbox } from './helpers.js';

const isFinal = (status: string): boolean => (FINAL_STATUSES as readonly string[]).includes(status);

const BANK = { institution: 'maple-leaf-bank' };

void t.test('an approval moves Processing → Accepted → Processed → Settled, one step per stepMs, then stays', async (t) => {
  const sandbox = await startSandbox(t, { stepMs: 500 });
  const { sessionId, requestId } = await sandbox.checkout();
  t.equal(await sandbox.statusOf(requestId), 'Initiated', 'before the shopper opens the app');
  await sandbox.start(sessionId);
  t.equal(await sandbox.statusOf(requestId), 'Processing', 'while the shopper is in the app');
  t.same((await sandbox.decide(sessionId, { decision: 'approve', ...BANK })).json, { status: 'Accepted' });
  const seen = [];
  for (const advance of [499, 1, 499, 1, 10_000_000]) {
    sandbox.clock.now += advance;
    seen.push(await sandbox.statusOf(requestId));
  }
  t.same(seen, ['Accepted', 'Processed', 'Processed', 'Settled', 'Settled']);
});

void t.test('decline and cancel are final at once and stay so', async (t) => {
  const sandbox = await startSandbox(t);
  const declined = await sandbox.checkout();
  const cancelled = await sandbox.checkout();
  await sandbox.decide(declined.sessionId, { decision: 'decline', ...BANK });
  await sandbox.decide(cancelled.sessionId, { decision: 'cancel' });
  sandbox.clock.now += 60 * 60 * 1000;
  t.equal(await sandbox.statusOf(declined.requestId), 'Declined');
  t.equal(await sandbox.statusOf(cancelled.requestId), 'Cancelled');
});

void t.test('without a decision a request is Expired after expiryMs', async (t) => {
  const sandbox = await startSandbox(t, { expiryMs: 120_000 });
  const { requestId } = await sandbox.checkout();
  sandbox.clock.now += 119_999;
  t.equal(await sandbox.statusOf(requestId), 'Initiated');
  sandbox.clock.now += 1;
  t.equal(await sandbox.statusOf(requestId), 'Expired');
});

void t.test('the defaults: 1 s per step, 15 min to expiry', async (t) => {
  t.equal(SANDBOX_DEFAULTS.stepMs, 1000);
  t.equal(SANDBOX_DEFAULTS.expiryMs, 900_000);
  const sandbox = await startSandbox(t);
  const approved = await sandbox.checkout();
  const idle = await sandbox.checkout();
  await sandbox.decide(approved.sessionId, { decision: 'approve', ...BANK });
  sandbox.clock.now += 3000;
  t.equal(await sandbox.statusOf(approved.requestId), 'Settled');
  t.equal(await sandbox.statusOf(idle.requestId), 'Initiated');
  sandbox.clock.now += 900_000 - 3000;
  t.equal(await sandbox.statusOf(idle.requestId), 'Expired');
});

void t.test('an approval can finish after the expiry time: only undecided requests expire', async (t) => {
  const sandbox = await startSandbox(t, { stepMs: 60_000, expiryMs: 100_000 });
  const { sessionId, requestId } = await sandbox.checkout();
  sandbox.clock.now += 99_999;
  await sandbox.decide(sessionId, { decision: 'approve', ...BANK });
  sandbox.clock.now += 60_000;
  t.equal(await sandbox.statusOf(requestId), 'Processed');
  sandbox.clock.now += 60_000;
  t.equal(await sandbox.statusOf(requestId), 'Settled');
});

void t.test('control.setStatus overrides the computed status from then on', async (t) => {
  const sandbox = await startSandbox(t);
  const { sessionId, requestId } = await sandbox.checkout();
  sandbox.control.setStatus(requestId, 'Accepted');
  sandbox.clock.now += 60 * 60 * 1000;
  t.equal(await sandbox.statusOf(requestId), 'Accepted', 'does not expire');
  t.equal((await sandbox.decide(sessionId, { decision: 'approve', ...BANK })).status, 409, 'no longer Initiated');
});

void t.test('every path ends in a final status and every status it passes through is documented', (t) => {
  const base = { createdAt: 0, expiresAfterMs: 10 };
  const timelines: [string, Timeline][] = [
    ['approve', { ...base, approvalOutcome: 'Settled', decision: { kind: 'approve', at: 5 } }],
    ['opened, then approve', { ...base, approvalOutcome: 'Settled', startedAt: 2, decision: { kind: 'approve', at: 5 } }],
    ['opened, never decided', { ...base, approvalOutcome: 'Settled', startedAt: 2 }],
    ['approve, declined by the bank', { ...base, approvalOutcome: 'Declined', decision: { kind: 'approve', at: 5 } }],
    ['approve, name mismatch', { ...base, approvalOutcome: 'Failed', decision: { kind: 'approve', at: 5 } }],
    ['decline', { ...base, approvalOutcome: 'Settled', decision: { kind: 'decline', at: 5 } }],
    ['cancel', { ...base, approvalOutcome: 'Settled', decision: { kind: 'cancel', at: 5 } }],
    ['no decision', { ...base, approvalOutcome: 'Settled' }],
  ];
  for (const [name, timeline] of timelines) {
    const path = [0, 5, 6, 7, 8, 9, 10, 100].map((now) => statusAt(timeline, now, 1));
    t.ok(
      path.every((status) => (PAYMENT_STATUSES as readonly string[]).includes(status)),
      `${name}: documented statuses`,
    );
    t.ok(isFinal(path.at(-1) ?? 'Initiated'), `${name}: ends final (${path.at(-1) ?? ''})`);
    const firstFinal = path.findIndex(isFinal);
    t.ok(
      path.slice(firstFinal).every((status) => status === path.at(-1)),
      `${name}: a final status never changes`,
    );
  }
  t.end();
});

void t.test('Initiated only before the app is opened, Processing from then until a decision', (t) => {
  const base = { createdAt: 0, expiresAfterMs: 100, approvalOutcome: 'Settled' } as const;
  t.equal(statusAt(base, 50, 10), 'Initiated');
  t.equal(statusAt({ ...base, startedAt: 20 }, 50, 10), 'Processing');
  t.equal(statusAt({ ...base, startedAt: 20 }, 100, 10), 'Expired', 'an abandoned flow still expires');
  t.equal(statusAt({ ...base, startedAt: 20, decision: { kind: 'approve', at: 60 } }, 60, 10), 'Accepted');
  t.equal(statusAt({ ...base, approvalOutcome: 'Failed', startedAt: 20, decision: { kind: 'approve', at: 60 } }, 60, 10), 'Processing');
  t.end();
});
