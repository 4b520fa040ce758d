import { pino } from 'pino';
import t from 'tap';
import { captureLogs } from '../support/build.js';
import { createCheckoutRecords, type RecordKeeper } from '../../src/checkout/records.js';
import { RecordsUnavailableError } from '../../src/errors/app-errors.js';

/*
 * Records kept in memory while the store is down: a checkout whose payment request was made must
 * never fail for want of its record, so the backlog's bound is judged before a checkout calls
 * Flinks (assertRoom), and remembering never throws.
 */
t.test('remember never throws; past the backlog bound, assertRoom refuses the next checkout before it starts', async (t) => {
  const down: RecordKeeper = {
    start: () => Promise.reject(new Error('store down')),
    recordedOf: () => Promise.reject(new Error('store down')),
  };
  const records = createCheckoutRecords(down, pino({ level: 'silent' }), { maxBacklog: 2, retryMs: 60_000 });
  t.doesNotThrow(() => {
    records.assertRoom();
  });
  await records.remember('a', { referenceId: 'order-a', createdAt: 1 });
  await records.remember('b', { referenceId: 'order-b', createdAt: 2 });
  t.throws(
    () => {
      records.assertRoom();
    },
    RecordsUnavailableError,
    'full: a new checkout is refused before any Flinks call',
  );
  await t.resolves(records.remember('c', { referenceId: 'order-c', createdAt: 3 }), 'a checkout already past Flinks is still kept');
  t.same(await records.recordedOf('c'), { referenceId: 'order-c' }, 'and answered here');
  await records.close();
});

t.test('records the store never took before shutdown are each logged by requestId and referenceId', async (t) => {
  const down: RecordKeeper = {
    start: () => Promise.reject(new Error('store down')),
    recordedOf: () => Promise.reject(new Error('store down')),
  };
  const logs = captureLogs();
  const records = createCheckoutRecords(down, pino(logs.stream), { retryMs: 60_000 });
  await records.remember('a', { referenceId: 'order-a', createdAt: 1 });
  await records.remember('b', { referenceId: 'order-b', createdAt: 2 });
  await records.close();
  const lines = logs.lines().map((line) => JSON.parse(line) as { msg: string; lost?: number; checkout?: string; referenceId?: string });
  t.match(
    lines.find((line) => line.msg === 'checkout records could not be written before shutdown'),
    { lost: 2 },
  );
  t.same(
    lines.filter((line) => line.msg.startsWith('checkout record lost at shutdown')).map(({ checkout, referenceId }) => ({ checkout, referenceId })),
    [
      { checkout: 'a', referenceId: 'order-a' },
      { checkout: 'b', referenceId: 'order-b' },
    ],
  );
});
