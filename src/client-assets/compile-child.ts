import { compileClient } from './compile.js';

/*
 * compileClient in a process of its own, forked by assets.ts with the directory URL as its argument;
 * it sends the compiled client back over the IPC channel, or writes why it could not to stderr and
 * exits with 1. A process rather than a worker thread: on Node 20 a worker does not get the
 * TypeScript loader (tsx) its parent was started with.
 */

const [dir] = process.argv.slice(2);
const send = process.send?.bind(process);
if (!send || !dir) throw new Error('compile-child is started by assets.ts, with an IPC channel and a directory URL');
try {
  send(await compileClient(new URL(dir)), () => {
    process.disconnect();
  });
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
  process.disconnect();
}
