import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Child {
  process: ChildProcess;
  url: string;
  stop(): Promise<void>;
  /** The V8 inspector's WebSocket URL, when started with `inspect` (bench/inspector.ts). */
  inspectorUrl?: string;
}

export interface StartOptions {
  /** Extra node flags, e.g. --max-old-space-size or --cpu-prof. */
  nodeArgs?: readonly string[];
  /** Drop stdout (the JSON logs) unread; see spawnNode. */
  quiet?: boolean;
  /** Open the V8 inspector on a free loopback port (to force a GC and read the heap). */
  inspect?: boolean;
}

const ROOT = new URL('..', import.meta.url);
const START_TIMEOUT_MS = 30_000;

/** Every process the benchmark started and that has not exited yet. */
const running = new Set<ChildProcess>();

/**
 * `stdout: 'drain'` reads the child's stdout and drops it unread, as a container runtime takes a
 * log pipe: a BFF at LOG_LEVEL=info (as deployed) writes five lines per checkout into a real pipe,
 * while keeping them here (even the tail) would charge the load generator for every line.
 */
function spawnNode(args: readonly string[], env: Record<string, string>, stdout: 'keep' | 'drain' = 'keep'): ChildProcess {
  const entry = args.at(-1) ?? '';
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  // Keep at most the tail of the output, for the error message if it fails; never block the pipe.
  let tail = '';
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4000));
  if (stdout === 'keep') child.stdout.on('data', keep);
  else child.stdout.resume();
  child.stderr.on('data', keep);
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`${entry} exited with ${code}:\n${tail}\n`);
  });
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Stops whatever is still running: a part that failed half-way (a BFF that did not start) must not
 * leave the fake or the other BFFs behind, keeping the benchmark from exiting.
 */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

/** Starts the fake Flinks and resolves once it printed its address. */
export async function startFakeFlinks(latencyMs: number, env: Record<string, string> = {}): Promise<Child> {
  const child = spawnNode(['--import', 'tsx', 'bench/fake-flinks.ts'], { ...env, FAKE_LATENCY_MS: String(latencyMs) });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening at (\S+)/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', () => {
      reject(new Error('fake Flinks exited before listening'));
    });
  });
  return { process: child, url, stop: () => stopChild(child) };
}

/** Changes the fake's latency without restarting anything. */
export async function setFakeLatency(fakeUrl: string, latencyMs: number): Promise<void> {
  const res = await fetch(`${fakeUrl}/_bench/latency`, { method: 'POST', body: String(latencyMs) });
  if (!res.ok) throw new Error(`could not set the fake latency: HTTP ${res.status}`);
}

/** Sets the status every status read of the fake answers (e.g. Settled, for outcome delivery). */
export async function setFakeStatus(fakeUrl: string, status: string): Promise<void> {
  const res = await fetch(`${fakeUrl}/_bench/status`, { method: 'POST', body: status });
  if (!res.ok) throw new Error(`could not set the fake status: HTTP ${res.status}`);
}

/** What the fake saw from one Basic-auth username (one BFF under test). */
export interface FakeCounts {
  authorize: number;
  initiate: number;
  paymentrequest: number;
  status: number;
  /** Tokens issued to this user and never presented on any call so far. */
  unused: number;
}

export async function fakeCounts(fakeUrl: string, user: string): Promise<FakeCounts> {
  const res = await fetch(`${fakeUrl}/_bench/counts`);
  const all = (await res.json()) as Record<string, FakeCounts | undefined>;
  return all[user] ?? { authorize: 0, initiate: 0, paymentrequest: 0, status: 0, unused: 0 };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Resolves with the inspector URL node prints to stderr once `--inspect` is listening. */
function inspectorUrlOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /Debugger listening on (ws:\/\/\S+)/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', () => {
      reject(new Error('exited before the inspector listened'));
    });
  });
}

/**
 * Starts a compiled BFF (`node <entry>`: the service or the minimal BFF) and resolves once /health
 * answers (at LOG_LEVEL=warn the service prints no "listening" line).
 */
export async function startBff(entry: string, env: Record<string, string>, options: StartOptions = {}): Promise<Child> {
  const port = await freePort();
  const args = [...(options.nodeArgs ?? []), ...(options.inspect ? ['--inspect=127.0.0.1:0'] : []), entry];
  const child = spawnNode(args, { ...env, PORT: String(port), HOST: '127.0.0.1' }, options.quiet ? 'drain' : 'keep');
  const inspector = options.inspect ? inspectorUrlOf(child) : undefined;
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited during start-up`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${entry} did not answer /health in time`);
      }
    }
    await sleep(100);
  }
  const inspectorUrl = inspector ? await inspector : undefined;
  return { process: child, url, stop: () => stopChild(child), ...(inspectorUrl ? { inspectorUrl } : {}) };
}

function procFile(pid: number | undefined, file: string): string | undefined {
  if (pid === undefined) return undefined;
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // not Linux, or the process is gone
  }
}

/** Resident set size of a process in bytes (Linux: VmRSS of /proc/<pid>/status). */
export function rssOf(pid: number | undefined): number | undefined {
  const match = /VmRSS:\s+(\d+) kB/.exec(procFile(pid, 'status') ?? '');
  return match?.[1] ? Number(match[1]) * 1024 : undefined;
}

/** CPU time (user + system) a process has used so far, in ms (Linux: /proc/<pid>/stat, 100 ticks/s). */
export function cpuMsOf(pid: number | undefined): number | undefined {
  const stat = procFile(pid, 'stat');
  if (stat === undefined) return undefined;
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
