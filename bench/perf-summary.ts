import { bucketOfUrl, type Bucket, type ProfileSummary } from './profile-summary.js';

/*
 * The same buckets from Linux `perf` samples (on-CPU time only). On a shared machine V8's own
 * profiler charges the time a process waits for a core to whatever frame it resumes in (mostly
 * right after a socket write that woke its peer), so a busy neighbour inflates "node core";
 * perf counts only the time a thread really ran, on every thread (GC helpers included).
 * The service runs with --perf-basic-prof, so JIT-compiled JavaScript frames name their file.
 */

const GC =
  /v8::internal::(Scavenger|ScavengerCollector|Heap::|MarkCompact|MinorMarkCompact|ConcurrentMarking|IncrementalMarking|Sweeper|MarkingVisitor|MainMarkingVisitor|GlobalHandles|Evacuat|PagedSpace|MemoryAllocator|MemoryReducer|ArrayBufferSweeper|CppHeap)/;
const JSON_NATIVE = /^Builtins_Json(Stringify|Parse)|v8::internal::(JsonStringifier|JsonParser)/;
/** "JS:*name url:line:col", "LazyCompile:~name url:line:col" and the like, from --perf-basic-prof. */
const JS_FRAME = /^(?:JS|LazyCompile|Function|Eval|Script):[*~^]?(.*?)\s*(\S+):\d+:\d+$/;

function frameBucket(symbol: string): Bucket | undefined {
  if (GC.test(symbol)) return 'garbage collection';
  if (JSON_NATIVE.test(symbol)) return 'JSON (parse, stringify)';
  const js = JS_FRAME.exec(symbol);
  return js?.[2] ? bucketOfUrl(js[2]) : undefined;
}

/**
 * Reads `perf script` text: one block per sample, a header line, then its frames leaf first.
 * A sample is charged to the first frame (from the leaf) that has a bucket: kernel, libc, V8
 * builtins and node's C++ are charged to the JavaScript that called them.
 */
export function summarizePerfScript(text: string): ProfileSummary {
  const micros = new Map<Bucket, number>();
  let totalMicros = 0;
  for (const block of text.split('\n\n')) {
    const [header = '', ...frames] = block.split('\n');
    // "node  4007  3347.836220:     500250 cpu-clock:ppp:": the sample stands for 500250 ns of CPU.
    const period = /:\s+(\d+)\s+\S*(?:cpu-clock|cycles|task-clock)/.exec(header);
    if (!period?.[1] || frames.length === 0) continue;
    const microsPerSample = Number(period[1]) / 1000;
    let bucket: Bucket | undefined;
    for (const line of frames) {
      // "\t    7f13286ad327 JS:*emitReadable_ node:internal/streams/readable:830:23+0x427 (/tmp/perf-4007.map)"
      const match = /^\s*[0-9a-f]+ (.*?)(?:\+0x[0-9a-f]+)? \((.*)\)$/.exec(line);
      if (!match?.[1]) continue;
      bucket = frameBucket(match[1]);
      if (bucket) break;
    }
    const charged = bucket ?? 'native, outside any JS function';
    micros.set(charged, (micros.get(charged) ?? 0) + microsPerSample);
    totalMicros += microsPerSample;
  }
  return { micros, totalMicros };
}
