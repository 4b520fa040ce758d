import { execFileSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { SHED_SHARE_OF_OLD_SPACE } from '../../src/config/runtime-limits.js';
import { composeMemory, deploymentMemory, type MemorySizing } from './memory.js';

/*
 * A pod whose memory limit is below what Node may use is killed by the kernel before load shedding
 * ever refuses a request. Heap cap, shedding threshold and memory limit are sized together: the
 * limit holds V8's whole heap limit (the capped old space plus the young generation, measured on
 * the Node running this test: 96 MiB on Node 26, the image's) and what Node uses besides its heap.
 */
const NATIVE_MB = 64;

function v8HeapLimitMb(oldSpaceMb: number): number {
  const out = execFileSync(process.execPath, [`--max-old-space-size=${oldSpaceMb}`, '-p', 'require("v8").getHeapStatistics().heap_size_limit']);
  return Number(out.toString().trim()) / (1024 * 1024);
}

function checkSizing(t: Test, where: string, { limitMb, oldSpaceMb, shedAtMb }: MemorySizing) {
  t.ok(Number.isInteger(oldSpaceMb), `${where}: NODE_OPTIONS caps the old space (--max-old-space-size)`);
  t.ok(Number.isInteger(shedAtMb), `${where}: MAX_HEAP_USED_MB is set next to it`);
  t.ok(
    shedAtMb <= oldSpaceMb * SHED_SHARE_OF_OLD_SPACE,
    `${where}: shedding starts by ${SHED_SHARE_OF_OLD_SPACE * 100} % of the old space (${shedAtMb} of ${oldSpaceMb} MiB)`,
  );
  const heapLimitMb = v8HeapLimitMb(oldSpaceMb);
  t.ok(
    limitMb >= heapLimitMb + NATIVE_MB,
    `${where}: the memory limit (${limitMb} MiB) holds V8's heap limit (${heapLimitMb} MiB on node ${process.version}) + ${NATIVE_MB} MiB for code and native memory`,
  );
}

t.test('Kubernetes: the memory limit exceeds the heap Node may use, and shedding starts well inside the heap', (t) => {
  checkSizing(t, 'deployment.yaml', deploymentMemory());
  t.end();
});

t.test('docker compose: the bff replicas are sized the same way', (t) => {
  checkSizing(t, 'docker-compose.yml', composeMemory());
  t.strictSame(composeMemory(), deploymentMemory(), 'as in Kubernetes');
  t.end();
});
