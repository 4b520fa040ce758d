import { readFileSync, writeFileSync } from 'node:fs';

/*
 * `--perf-basic-prof` appends a line to /tmp/perf-<pid>.map for every code object V8 creates and
 * never takes one back, while V8 frees code and puts new code at the same addresses (module
 * top-levels run once, then optimised functions take their place). `perf` then names a sample by
 * whichever line it finds first for its address, which can be code that died long before the
 * recording: a status read was charged to "prom-client/lib/summary.js:1:1", a module's top level.
 * The newest line for an address is the code that sat there when the process was recorded.
 */

interface MapEntry {
  start: bigint;
  end: bigint;
  line: string;
}

/** The map with every entry dropped that a newer entry overlaps, in the original order. */
export function newestPerfMap(text: string): string {
  const entries: MapEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]+) ([0-9a-f]+) /.exec(line);
    if (!match?.[1] || !match[2]) continue;
    const start = BigInt(`0x${match[1]}`);
    entries.push({ start, end: start + BigInt(`0x${match[2]}`), line });
  }
  // Newest first: an entry is kept when no kept (newer) entry overlaps it.
  const kept: MapEntry[] = []; // sorted by start, pairwise disjoint
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i] as MapEntry;
    let low = 0;
    let high = kept.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((kept[middle] as MapEntry).start < entry.start) low = middle + 1;
      else high = middle;
    }
    const before = kept[low - 1];
    const after = kept[low];
    if ((before && before.end > entry.start) || (after && after.start < entry.end)) continue;
    kept.splice(low, 0, entry);
  }
  const isKept = new Set(kept);
  return `${entries
    .filter((entry) => isKept.has(entry))
    .map((entry) => entry.line)
    .join('\n')}\n`;
}

/** Rewrites /tmp/perf-<pid>.map in place before `perf script` reads it. */
export function keepNewestPerfMap(pid: number): void {
  const path = `/tmp/perf-${pid}.map`;
  writeFileSync(path, newestPerfMap(readFileSync(path, 'utf8')));
}
