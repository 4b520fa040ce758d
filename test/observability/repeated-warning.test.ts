import t from 'tap';
import { pino } from 'pino';
import { captureLogs } from '../support/build.js';
import { repeatedWarning } from '../../src/observability/repeated-warning.js';

t.test('a repeated warning is logged at once, then once per interval with how many were left out', (t) => {
  const logs = captureLogs();
  let clock = 0;
  const warn = repeatedWarning(pino(logs.stream), 'job queue error', 60_000, () => clock);
  const lines = () => logs.lines().map((line) => JSON.parse(line) as Record<string, unknown>);

  warn({ queue: 'reconcile' });
  t.match(lines(), [{ level: 40, msg: 'job queue error', queue: 'reconcile' }], 'the first, at once');
  t.notOk('leftOut' in (lines()[0] ?? {}), 'nothing left out yet');

  for (let second = 1; second < 60; second++) {
    clock = second * 1000;
    warn({ queue: 'reconcile' });
  }
  t.equal(lines().length, 1, 'none more within the interval');

  clock = 60_000;
  warn({ queue: 'reconcile', attempt: 61 });
  t.match(lines()[1], { msg: 'job queue error', attempt: 61, leftOut: 59 }, 'the next after the interval says how many were left out');

  clock = 200_000;
  warn({ queue: 'reconcile' });
  t.notOk('leftOut' in (lines()[2] ?? {}), 'a warning after a quiet interval stands alone');
  t.end();
});
