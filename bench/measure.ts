import type { Driver, Sample } from './drivers.js';
import { cpuMsOf, rssOf, type Child } from './processes.js';

/** CPU time used so far by this process (load generator or floor driver) and the `pids`, in ms. */
function cpuMsOfAll(pids: readonly (number | undefined)[]): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000 + pids.reduce<number>((sum, pid) => sum + (cpuMsOf(pid) ?? 0), 0);
}

/**
 * Warm-up, then the measured run, while watching the BFF process (peak RSS, CPU time) and the CPU
 * used by every process of the benchmark (`pids` plus this one), in cores.
 */
export async function measure(
  driver: Driver,
  run: { connections: number; warmupS: number; durationS: number },
  pids: readonly (number | undefined)[],
  bff?: Child,
) {
  const { connections, warmupS, durationS } = run;
  if (warmupS > 0) await driver(connections, warmupS);
  const pid = bff?.process.pid;
  let rssBytes: number | undefined;
  const sampleRss = () => {
    const rss = rssOf(pid);
    if (rss !== undefined) rssBytes = Math.max(rssBytes ?? 0, rss);
  };
  const timer = setInterval(sampleRss, 250);
  const cpuBefore = cpuMsOf(pid);
  const allBefore = cpuMsOfAll(pids);
  let sample: Sample;
  try {
    sample = await driver(connections, durationS);
  } finally {
    clearInterval(timer);
  }
  sampleRss();
  const cpuAfter = cpuMsOf(pid);
  const cpuMsPerRequest = cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / Math.max(1, sample.durationsMs.length);
  const coresUsed = (cpuMsOfAll(pids) - allBefore) / (sample.elapsedS * 1000);
  return { sample, rssBytes, cpuMsPerRequest, coresUsed };
}
