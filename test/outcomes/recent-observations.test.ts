import t from 'tap';
import { createRecentObservations } from '../../src/outcomes/recent-observations.js';

t.test('a status noted here answers for the refresh window, and only that status', (t) => {
  let clock = 1_000_000;
  const recent = createRecentObservations({ refreshMs: 10_000, maxEntries: 2, now: () => clock });
  t.notOk(recent.has('a', 'Initiated'), 'nothing noted yet');

  recent.add('a', 'Initiated');
  t.ok(recent.has('a', 'Initiated'));
  t.notOk(recent.has('a', 'Processing'), 'a different status is always noted');
  t.notOk(recent.has('b', 'Initiated'), 'per checkout');

  clock += 10_000;
  t.ok(recent.has('a', 'Initiated'), 'still inside the window');
  clock += 1;
  t.notOk(recent.has('a', 'Initiated'), 'noted again once the window has passed');

  recent.add('a', 'Initiated');
  recent.add('b', 'Processing');
  recent.add('c', 'Settled');
  t.notOk(recent.has('a', 'Initiated'), 'bounded: the least recently noted gives way');
  t.ok(recent.has('c', 'Settled'));
  t.end();
});

t.test('a window of 0 keeps nothing: every read is noted', (t) => {
  const recent = createRecentObservations({ refreshMs: 0, maxEntries: 10, now: () => 0 });
  recent.add('a', 'Initiated');
  t.notOk(recent.has('a', 'Initiated'));
  t.end();
});
