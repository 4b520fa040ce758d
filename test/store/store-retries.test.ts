import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t from 'tap';
import { createStoreRetries } from '../../src/store/store-retries.js';

const quiet = pino({ level: 'silent' });

t.test('a write the store failed is tried again until it is taken; the newest write per name wins', async (t) => {
  const retries = createStoreRetries({ what: 'answers', log: quiet, retryMs: 5 });
  let storeUp = false;
  const written: string[] = [];
  const writeOf = (value: string) => () => (storeUp ? Promise.resolve(void written.push(value)) : Promise.reject(new Error('down')));
  t.ok(retries.add('a', writeOf('a1')));
  t.ok(retries.add('a', writeOf('a2')));
  t.ok(retries.add('b', writeOf('b1')));
  await sleep(30);
  t.same(written, [], 'nothing while the store is down');
  storeUp = true;
  await t.resolves(async () => {
    while (retries.size > 0) await sleep(5);
  });
  t.same(written, ['a2', 'b1']);
});

t.test('a newer write under a name, added while the older one runs, is still written', async (t) => {
  const retries = createStoreRetries({ what: 'status changes', log: quiet, retryMs: 5 });
  const written: string[] = [];
  let release: () => void = () => undefined;
  const slow = () =>
    new Promise<void>((resolve) => {
      release = () => {
        written.push('older');
        resolve();
      };
    });
  retries.add('checkout', slow);
  await sleep(20); // the pass is now waiting on the older write
  retries.add('checkout', () => Promise.resolve(void written.push('newer')));
  release();
  t.equal(await retries.flush(), 0, 'nothing left');
  t.same(written, ['older', 'newer']);
});

t.test('flush waits for the pass running, tries what is left once, and says how many are still not written', async (t) => {
  const retries = createStoreRetries({ what: 'records', log: quiet, retryMs: 60_000 });
  retries.add('x', () => Promise.reject(new Error('down')));
  retries.add('y', () => Promise.reject(new Error('down')));
  t.equal(await retries.flush(), 2);
});

t.test('at most maxPending writes wait; a new name beyond that is refused, a waiting name may be replaced', (t) => {
  const retries = createStoreRetries({ what: 'records', log: quiet, retryMs: 60_000, maxPending: 2 });
  const failing = () => Promise.reject(new Error('down'));
  t.ok(retries.add('a', failing));
  t.ok(retries.add('b', failing));
  t.notOk(retries.add('c', failing));
  t.ok(retries.add('a', failing));
  t.equal(retries.size, 2);
  t.end();
});

t.test('a write that cannot be made yet (resolves to false) waits for the next attempt, and the writes after it go on', async (t) => {
  const retries = createStoreRetries({ what: 'status changes', log: quiet, retryMs: 60_000 });
  let ready = false;
  const written: string[] = [];
  retries.add('needs-a-record', () => Promise.resolve(ready ? written.push('late') > 0 : false));
  retries.add('other', () => Promise.resolve(void written.push('other')));
  t.equal(await retries.flush(), 1, 'one still waits');
  t.same(written, ['other'], 'the one behind it was written');
  ready = true;
  t.equal(await retries.flush(), 0);
  t.same(written, ['other', 'late']);
});

t.test('a store that keeps refusing the writes is said in the log: the first failure at once, then once a minute', async (t) => {
  const lines: { msg: string; err?: { message: string }; waiting?: number }[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
  const retries = createStoreRetries({ what: 'answers', log, retryMs: 5 });
  retries.add('a', () => Promise.reject(new Error("READONLY You can't write against a read only replica")));
  await sleep(60);
  t.equal(lines.length, 1, 'about ten failed passes, one line');
  t.match(lines[0], { msg: /^answers kept during a store outage: the store still refuses them/, err: { message: /READONLY/ }, waiting: 1 });
});
