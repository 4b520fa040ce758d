import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Test } from 'tap';

export interface RunningProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * What a child process takes over from the test's environment: PATH, and NODE_COMPILE_CACHE when
 * the suite set it (scripts/test-on-image-node.sh), so that they reuse the compiled code too.
 */
function inherited(): Record<string, string> {
  const { PATH = '', NODE_COMPILE_CACHE } = process.env;
  return NODE_COMPILE_CACHE ? { PATH, NODE_COMPILE_CACHE } : { PATH };
}

/**
 * Starts a TypeScript entry file the way `npm start` does and waits for its "listening" log line.
 * Pass `nodeArgs: []` to run compiled JavaScript with plain node, as the container image does.
 */
export async function startProcess(
  t: Test,
  entry: string,
  env: Record<string, string>,
  listeningLine: RegExp,
  nodeArgs: readonly string[] = ['--import', 'tsx'],
): Promise<RunningProcess> {
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    env: { ...inherited(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  const collect = (chunk: string) => {
    output += chunk;
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no listening line within 60 s:\n${output}`));
    }, 60_000);
    const check = () => {
      const match = listeningLine.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`exited before listening:\n${output}`));
    });
  });
  return { child, url, output: () => output, exited };
}

/** Runs a command to completion and collects its output (cwd: the project root). */
export async function runCommand(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(command, args, {
    env: { ...inherited(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  // Decoded as streams: a character split between two chunks stays whole.
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Runs ES module source (TypeScript allowed, through tsx) in a fresh node process, to completion. */
export function runModuleSource(source: string) {
  return runCommand(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source]);
}

/** Runs a TypeScript entry file to completion (for start-up failures). */
export function runToExit(entry: string, env: Record<string, string>) {
  return runCommand(process.execPath, ['--import', 'tsx', entry], env);
}

/** Environment of a BFF process on a free local port, pointed at a simulator by URL. */
export function bffProcessEnv(flinksUrl: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    FLINKS_BASE_URL: flinksUrl,
    FLINKS_USERNAME: 'sandbox',
    FLINKS_PASSWORD: 'sandbox',
    // Tests share two cores with each other and a browser: a busy event loop there is not overload.
    MAX_EVENT_LOOP_DELAY_MS: '10000',
    ...env,
  };
}

export const BFF_LISTENING = /"address":"(http:\/\/[^"]+)"[^\n]*checkout BFF listening/;
