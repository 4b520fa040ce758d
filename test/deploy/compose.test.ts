import { existsSync } from 'node:fs';
import t from 'tap';
import { loadConfig } from '../../src/config/config.js';
import { CLAIM_END_BUDGET_MS } from '../../src/config/runtime-limits.js';
import { startUpWarnings } from '../../src/config/start-up-warnings.js';
import {
  asArray,
  asObject,
  composeEnvFiles,
  composeEnvironment,
  containerEnv,
  loadYamlDocument,
  mergeComposeService,
  parseEnvFile,
  readRepoFile,
  repoPath,
  REQUIRED_IN_PRODUCTION,
  SCHEMA_VARS,
} from './helpers.js';

const base = loadYamlDocument('docker-compose.yml');
const flinks = loadYamlDocument('docker-compose.flinks.yml');
const services = asObject(asObject(base.toJS()).services);
const service = (name: string) => asObject(services[name]);

/** The standalone simulator's own env schema lives in its entry file; these are its keys. */
function sandboxEntryReads(name: string): boolean {
  return new RegExp(`^\\s*${name}\\s*:`, 'm').test(readRepoFile('sandbox/standalone.ts'));
}

function unknownVars(env: Record<string, string>): string[] {
  return Object.keys(env).filter((name) => !SCHEMA_VARS.has(name));
}

t.test('docker-compose.yml runs the BFF twice behind a load balancer, with Redis and the sandbox', (t) => {
  t.strictSame(Object.keys(services).sort(), ['bff', 'lb', 'redis', 'sandbox']);
  t.equal(asObject(service('bff').deploy).replicas, 2, 'two BFF replicas');
  t.notOk(service('bff').ports, 'replicas publish no host port; only the load balancer does');
  t.ok(service('bff').build, 'the BFF image is built from this repository');
  t.notOk(service('sandbox').build, 'and only once: the sandbox runs the image the bff service builds');
  t.equal(service('sandbox').image, service('bff').image, 'the same image');
  t.equal(service('sandbox').pull_policy, 'never', 'which is never looked for in a registry');
  t.match(asArray(service('lb').ports), [/^"?3000:80"?$/], 'the API is on localhost:3000');
  for (const [name, definition] of Object.entries(services)) {
    const spec = asObject(definition);
    t.ok(asObject(spec.healthcheck).test, `${name} has a health check`);
    t.match(spec.restart, /^(unless-stopped|always|on-failure)/, `${name} restarts`);
  }
  t.match(asObject(service('bff').healthcheck).test, ['CMD', 'node', '-e', /\/health'/]);
  t.end();
});

t.test('every variable the compose file sets for the BFF is a documented setting, and production can start', (t) => {
  const env = containerEnv(service('bff'));
  t.strictSame(unknownVars(env), [], 'variables the BFF would ignore (missing from EnvSchema)');
  t.equal(env.NODE_ENV, 'production');
  for (const name of REQUIRED_IN_PRODUCTION) t.ok(env[name], `${name} is set`);
  const config = loadConfig(env);
  t.match(config.flinks, { mode: 'remote', baseUrl: /^http:\/\/sandbox:\d+$/ });
  t.strictSame(startUpWarnings(config), [], 'it starts without a warning');
  t.equal(config.trustProxy, 1, 'behind nginx (one proxy hop), client addresses come from X-Forwarded-For');
  t.match(env.REDIS_URL, /^redis:\/\/redis:6379(\/\d+)?$/, 'the replicas share the redis service');
  const graceMs = Number(/^(\d+)s$/.exec(String(service('bff').stop_grace_period))?.[1]) * 1000;
  t.ok(
    graceMs > config.shutdownTimeoutMs + CLAIM_END_BUDGET_MS,
    `stop_grace_period (${graceMs} ms) covers the shutdown window (${config.shutdownTimeoutMs} ms) and the release of unfinished claims`,
  );
  t.end();
});

t.test('the sandbox container gets only its own settings, and its ports line up with FLINKS_*', (t) => {
  const sandboxEnv = containerEnv(service('sandbox'));
  for (const name of Object.keys(sandboxEnv)) {
    t.ok(sandboxEntryReads(name), `${name} is read by sandbox/standalone.ts`);
  }
  t.match(service('sandbox').command, ['node', 'dist/sandbox/standalone.js']);
  t.equal(sandboxEnv.HOST, '0.0.0.0', 'reachable from the other containers');
  const port = sandboxEnv.SANDBOX_PORT ?? '';
  const bffEnv = containerEnv(service('bff'));
  t.equal(bffEnv.FLINKS_BASE_URL, `http://sandbox:${port}`, 'the BFF calls the sandbox on the compose network');
  t.equal(bffEnv.FLINKS_APP_URL, `http://localhost:${port}`, 'the browser opens the app on the published port');
  t.ok(sandboxEnv.SANDBOX_INSTANCE, "the simulator requires a BaseURI header, as Flinks' samples send one");
  t.equal(bffEnv.FLINKS_INSTANCE, sandboxEnv.SANDBOX_INSTANCE, 'and the BFF sends the one it requires');
  t.match(asArray(service('sandbox').ports), [`${port}:${port}`]);
  const probe = String(asArray(asObject(service('sandbox').healthcheck).test).at(-1));
  const probedPath = new RegExp(`'http://127\\.0\\.0\\.1:${port}(/[^']*)'`).exec(probe)?.[1] ?? '';
  t.match(probedPath, /^\/app\/[a-z]+\.js$/, 'the health check probes a file the simulator serves');
  t.ok(existsSync(repoPath(`sandbox/public/${probedPath.slice('/app/'.length)}`)), `${probedPath} exists (sandbox/public)`);
  t.match(probe, /r=>process\.exit\(r\.ok\?0:1\)/, 'and counts only a 2xx answer as healthy (not a 404)');
  t.match(service('bff').depends_on, { sandbox: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  t.end();
});

t.test('the load balancer config sends every request to the bff replicas, SSE unbuffered', (t) => {
  const volumes = asArray(service('lb').volumes).map(String);
  const mount = volumes.find((volume) => volume.includes('/etc/nginx/conf.d/default.conf'));
  t.ok(mount, 'nginx.conf is mounted');
  const file = (mount ?? '').split(':')[0]?.replace(/^\.\//, '') ?? '';
  const nginx = readRepoFile(file);
  const port = containerEnv(service('bff')).PORT ?? '3000';
  t.match(nginx, new RegExp(`server bff:${port} resolve;`), 'every replica of the bff service, re-resolved');
  t.match(nginx, /proxy_set_header X-Forwarded-For \$remote_addr;/, 'X-Forwarded-For is overwritten, not appended to');
  t.match(nginx, /location ~ \^\/checkout\/\[\^\/\]\+\/events\$ \{[^}]*proxy_buffering off;/);
  t.notMatch(nginx, /^\s*proxy_next_upstream[^;]*non_idempotent/m, 'a POST is never repeated on another replica');
  t.end();
});

t.test('docker-compose.flinks.yml swaps the sandbox for real Flinks, credentials from .env.flinks', (t) => {
  const merged = mergeComposeService(base, flinks, 'bff');
  t.strictSame(composeEnvFiles(merged.env_file), ['.env.flinks']);
  t.match(readRepoFile('.gitignore'), /^\.env\.flinks$/m, '.env.flinks is never committed');
  t.notMatch(readRepoFile('.dockerignore'), /^!\.env/m, 'nor copied into the image');

  const template = parseEnvFile(readRepoFile('.env.flinks.example'));
  t.strictSame(unknownVars(template), [], 'the template only sets documented variables');
  const env = containerEnv(merged, { '.env.flinks': '.env.flinks.example' });
  t.strictSame(unknownVars(env), []);
  for (const name of REQUIRED_IN_PRODUCTION) {
    t.equal(env[name], template[name], `${name} comes from .env.flinks, not from the sandbox wiring`);
  }
  t.equal(env.FLINKS_APP_URL, template.FLINKS_APP_URL, 'no launch URL can point at the local sandbox');
  t.equal(env.FLINKS_INSTANCE, template.FLINKS_INSTANCE, "the instance name is the onboarding one, not the sandbox's");
  t.match(
    loadConfig(env),
    {
      flinks: { mode: 'remote', baseUrl: template.FLINKS_BASE_URL },
      demo: { enabled: false },
      events: { pollIntervalMs: 30_000 },
    },
    'no sandbox-only setting is left over',
  );

  t.strictSame(Object.keys(asObject(merged.depends_on)), ['redis'], 'the BFF no longer waits for the sandbox');
  t.strictSame(asObject(asObject(asObject(flinks.toJS()).services).sandbox).profiles, ['sandbox'], 'which is not started');
  t.end();
});

t.test('the variables .env.flinks cannot change are the ones deployment.md and the override name', (t) => {
  const kept = Object.keys(composeEnvironment(mergeComposeService(base, flinks, 'bff').environment)).sort();
  const docs = /`\.env\.flinks` may also set[\s\S]*?stay as `docker-compose\.yml` sets them/.exec(readRepoFile('docs/deployment.md'))?.[0] ?? '';
  const docsNames = [...docs.matchAll(/`([A-Z][A-Z_]+)`/g)]
    .map((match) => match[1])
    .filter((name) => !['CORS_ORIGINS', 'FLINKS_INSTANCE', 'RATE_LIMIT_MAX'].includes(name ?? ''));
  t.strictSame([...docsNames].sort(), kept, 'deployment.md');
  const comment = /except\n# the wiring[\s\S]*?\n(?!#)/.exec(readRepoFile('docker-compose.flinks.yml'))?.[0] ?? '';
  t.strictSame([...comment.matchAll(/\b([A-Z][A-Z_]{2,})\b/g)].map((match) => match[1]).sort(), kept, "the override's comment");
  t.end();
});

t.test('metrics stay inside the compose network: the replicas serve them on METRICS_PORT and nginx never proxies /metrics', (t) => {
  const env = containerEnv(service('bff'));
  const config = loadConfig(env);
  t.ok(config.metricsPort, 'METRICS_PORT is set for the replicas');
  t.not(config.metricsPort, config.port, 'a port of its own');
  t.notOk(service('bff').ports, 'and not published on the host');
  const volumes = asArray(service('lb').volumes).map(String);
  const nginx = readRepoFile((volumes.find((volume) => volume.includes('/etc/nginx/conf.d/default.conf')) ?? '').split(':')[0]?.replace(/^\.\//, '') ?? '');
  t.match(nginx, /location = \/metrics \{\s*return 404;\s*\}/, 'the load balancer answers /metrics itself, with 404');
  t.notMatch(nginx, new RegExp(`bff:${String(config.metricsPort)}`), 'and never sends anything to the metrics port');
  t.end();
});
