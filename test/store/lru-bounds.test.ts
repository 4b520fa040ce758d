import { LRUCache } from 'lru-cache';
import t from 'tap';
import { upToEntries } from '../../src/store/lru-bounds.js';

t.test('a cache capped with upToEntries keeps at most that many entries, the least recently used giving way', (t) => {
  const cache = new LRUCache<string, number>(upToEntries(3));
  for (const key of ['a', 'b', 'c']) cache.set(key, 1);
  cache.get('a');
  cache.set('d', 1);
  t.same([...cache.keys()].sort(), ['a', 'c', 'd'], 'b, the least recently used, gave way');
  for (let i = 0; i < 100; i++) cache.set(`k${i}`, i);
  t.equal(cache.size, 3);
  t.end();
});

t.test('a large cap reserves no memory until entries come', (t) => {
  // lru-cache's `max` allocates typed arrays for every entry at creation: 12 MB outside the heap
  // for a million entries. The cap this service uses costs nothing while the cache is empty.
  const before = process.memoryUsage().arrayBuffers;
  const caches = Array.from({ length: 4 }, () => new LRUCache<string, string>(upToEntries(1_000_000)));
  const reserved = process.memoryUsage().arrayBuffers - before;
  t.ok(reserved < 1_000_000, `${caches.length} empty caches reserved ${reserved} bytes`);
  t.end();
});
