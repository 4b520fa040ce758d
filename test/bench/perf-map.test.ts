import t from 'tap';
import { newestPerfMap } from '../../bench/perf-map.js';

/* The profile part names perf samples by the code that sat at their address while it was recorded. */

t.test('an entry that a newer one overlaps is dropped; the rest stay, in their order', (t) => {
  const map = [
    '1000 100 Eval:~ /app/node_modules/prom-client/lib/summary.js:1:1', // freed, then reused below
    '2000 80 JS:*kept /app/a.js:3:1',
    '3000 40 JS:~early /app/b.js:9:1', // partly covered by the newer one at 3020
    '1000 40 JS:*observe /app/node_modules/prom-client/lib/histogram.js:73:24',
    '1040 60 JS:*emitReadable_ node:internal/streams/readable:830:23',
    '3020 40 JS:*later /app/b.js:9:1',
    '2080 10 JS:*adjacent /app/c.js:1:1', // starts where 2000+80 ends: no overlap
    '',
  ].join('\n');
  t.equal(
    newestPerfMap(map),
    [
      '2000 80 JS:*kept /app/a.js:3:1',
      '1000 40 JS:*observe /app/node_modules/prom-client/lib/histogram.js:73:24',
      '1040 60 JS:*emitReadable_ node:internal/streams/readable:830:23',
      '3020 40 JS:*later /app/b.js:9:1',
      '2080 10 JS:*adjacent /app/c.js:1:1',
      '',
    ].join('\n'),
  );
  t.end();
});

t.test('the same code reported twice at one address is kept once, and junk lines are skipped', (t) => {
  t.equal(newestPerfMap('a0 10 JS:*f /x.js:1:1\nnot a map line\na0 10 JS:*f /x.js:1:1\n'), 'a0 10 JS:*f /x.js:1:1\n');
  t.end();
});
