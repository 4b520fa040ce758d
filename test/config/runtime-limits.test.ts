import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { runCommand } from '../support/process.js';
import {
  defaultMaxHeapUsedBytes,
  heapSettingProblems,
  maxHeapUsedBytesOf,
  MEMORY_STORE_BYTES_PER_CHECKOUT,
  memoryStoreEntriesFor,
  oldSpaceCapMb,
  shutdownWindowWarning,
} from '../../src/config/runtime-limits.js';

const MiB = 1024 * 1024;

t.test('the shutdown window defaults to one whole checkout (three upstream calls) plus a margin', (t) => {
  t.equal(loadConfig({}).shutdownTimeoutMs, 35_000, 'UPSTREAM_TIMEOUT_MS=10000 (default): 3 x 10 s + 5 s');
  t.equal(loadConfig({ UPSTREAM_TIMEOUT_MS: '2000' }).shutdownTimeoutMs, 11_000, 'follows UPSTREAM_TIMEOUT_MS');
  t.equal(loadConfig({ SHUTDOWN_TIMEOUT_MS: '45000' }).shutdownTimeoutMs, 45_000, 'a configured window is kept');
  t.equal(loadConfig({}).longestCheckoutMs, 30_000);
  t.end();
});

t.test('a configured window shorter than one checkout draws a start-up warning that names both numbers', (t) => {
  t.equal(shutdownWindowWarning(30_000, 10_000), undefined, 'a whole checkout fits');
  const warning = shutdownWindowWarning(10_000, 10_000) ?? '';
  t.match(warning, /^SHUTDOWN_TIMEOUT_MS \(10000\) is shorter than one checkout may take/);
  t.match(warning, /UPSTREAM_TIMEOUT_MS=10000: 30000 ms/);
  t.match(warning, /default 35000/);
  t.end();
});

t.test('the old-space cap is read from NODE_OPTIONS as Node reads it', (t) => {
  t.equal(oldSpaceCapMb(undefined), undefined);
  t.equal(oldSpaceCapMb('--enable-source-maps'), undefined);
  t.equal(oldSpaceCapMb('--max-old-space-size=192'), 192);
  t.equal(oldSpaceCapMb('--max_old_space_size=128 --enable-source-maps'), 128);
  t.equal(oldSpaceCapMb('--max-old-space-size 64'), 64);
  t.equal(oldSpaceCapMb('--max-old-space-size=64 --max-old-space-size=96'), 96, 'the last one wins');
  t.equal(oldSpaceCapMb('--max-old-space-size-percentage=50'), undefined, 'another option');
  t.equal(oldSpaceCapMb('"--max-old-space-size=96" "--import=file:///x.mjs"'), 96, 'quoted, as tools that add options write it');
  t.equal(oldSpaceCapMb('--max-old-space-size=abc'), undefined);
  t.equal(loadConfig({ NODE_OPTIONS: '--max-old-space-size=192' }).loadShedding.oldSpaceCapMb, 192);
  t.end();
});

t.test('shedding starts well inside a capped old space by default, not at 90 % of V8 limit', (t) => {
  // Node 26 adds a 96 MiB young generation to the cap: 90 % of 192 + 96 MiB would be past the cap.
  t.equal(defaultMaxHeapUsedBytes(288 * MiB, 192), 144 * MiB, '75 % of the old space');
  t.equal(defaultMaxHeapUsedBytes(4000 * MiB, undefined), Math.floor(4000 * MiB * 0.9), 'uncapped: 90 % of the limit');
  t.end();
});

t.test('MAX_HEAP_USED_MB at or above the old-space cap is refused at start-up', (t) => {
  t.throws(
    () => loadConfig({ NODE_OPTIONS: '--max-old-space-size=192', MAX_HEAP_USED_MB: '192' }),
    new ConfigError(
      'Invalid configuration: MAX_HEAP_USED_MB: must be below the old space NODE_OPTIONS allows (--max-old-space-size=192), ' +
        'or the process runs out of heap before it sheds load (144 is the default there)',
    ),
  );
  t.equal(loadConfig({ NODE_OPTIONS: '--max-old-space-size=192', MAX_HEAP_USED_MB: '144' }).loadShedding.maxHeapUsedBytes, 144 * MiB);
  t.end();
});

t.test('the in-memory store keeps only as many checkouts as fit well below the heap where load is shed', (t) => {
  const deployed = loadConfig({ NODE_OPTIONS: '--max-old-space-size=192', MAX_HEAP_USED_MB: '144' }).memoryStoreMaxEntries;
  t.equal(deployed, 23_592, '40 % of 144 MiB at 2.5 KB per checkout');
  t.ok(deployed * MEMORY_STORE_BYTES_PER_CHECKOUT < 0.5 * 144 * MiB, 'a full store leaves more than half the shedding threshold free');
  t.equal(
    loadConfig({ NODE_OPTIONS: '--max-old-space-size=192' }).memoryStoreMaxEntries,
    deployed,
    'the default threshold of a capped heap (75 % of 192 MiB) gives the same',
  );
  t.ok(loadConfig({}).memoryStoreMaxEntries <= 100_000, 'at most 100,000 on a large heap');
  t.equal(memoryStoreEntriesFor(64 * 1024 * MiB, 100_000), 100_000, 'capped at the given maximum');
  t.equal(memoryStoreEntriesFor(1 * MiB, 100_000), 1000, 'and never fewer than 1,000');
  t.end();
});

t.test('--max-old-space-size=0 is no cap (V8 keeps its default), so the default threshold never becomes 0 (off)', (t) => {
  t.equal(oldSpaceCapMb('--max-old-space-size=0'), undefined);
  t.equal(oldSpaceCapMb('--max-old-space-size=192 --max-old-space-size=0'), undefined, 'the last one wins');
  const config = loadConfig({ NODE_OPTIONS: '--max-old-space-size=0' });
  t.equal(config.loadShedding.oldSpaceCapMb, undefined);
  t.ok(maxHeapUsedBytesOf(undefined, config.loadShedding.oldSpaceCapMb) > 0, 'load shedding stays on');
  t.end();
});

const uncapped = { execArgv: [], heapSizeLimitBytes: 4144 * MiB };

t.test('MAX_HEAP_USED_MB at or above the heap limit of this process is refused, capped or not', (t) => {
  t.same(heapSettingProblems({ MAX_HEAP_USED_MB: '100000' }, uncapped), [
    "MAX_HEAP_USED_MB: must be below this process's heap limit (4144 MiB), or the process runs out of heap before it sheds load " +
      '(cap the old space with --max-old-space-size and shed at 75 % of it)',
  ]);
  t.match(heapSettingProblems({ MAX_HEAP_USED_MB: '100000', NODE_OPTIONS: '--max-old-space-size=0' }, uncapped), [/heap limit \(4144 MiB\)/]);
  t.same(heapSettingProblems({ MAX_HEAP_USED_MB: '4000' }, uncapped), [], 'below the limit');
  t.throws(() => loadConfig({ MAX_HEAP_USED_MB: '1048576' }), /^Invalid configuration: MAX_HEAP_USED_MB: must be below this process's heap limit/);
  t.end();
});

t.test("MAX_HEAP_USED_MB at or above a cap on node's command line is refused", (t) => {
  const capped = { execArgv: ['--import', 'tsx', '--max-old-space-size=192'], heapSizeLimitBytes: 240 * MiB };
  t.same(heapSettingProblems({ MAX_HEAP_USED_MB: '200' }, capped), [
    "MAX_HEAP_USED_MB: must be below the old space node's command line allows (--max-old-space-size=192), " +
      'or the process runs out of heap before it sheds load (144 is the default there)',
  ]);
  t.same(heapSettingProblems({ MAX_HEAP_USED_MB: '144' }, capped), []);
  t.end();
});

t.test("the server started with --max-old-space-size on node's command line refuses a MAX_HEAP_USED_MB above it", async (t) => {
  // PORT=abc: start-up fails either way, so a missed check cannot leave a server running.
  const result = await runCommand(process.execPath, ['--max-old-space-size=192', '--import', 'tsx', 'src/server.ts'], {
    MAX_HEAP_USED_MB: '200',
    PORT: 'abc',
  });
  t.equal(result.code, 1);
  t.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  t.match(
    result.stderr,
    /^Invalid configuration: PORT: [^;]+; MAX_HEAP_USED_MB: must be below the old space node's command line allows \(--max-old-space-size=192\)/,
  );
});
