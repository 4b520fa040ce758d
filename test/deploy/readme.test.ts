import { existsSync, readdirSync } from 'node:fs';
import t from 'tap';
import { EnvSchema } from '../../src/config/env-schema.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createOutcomeMetrics } from '../../src/outcomes/metrics.js';
import { asArray, asObject, loadManifests, loadYamlDocument, readRepoFile, repoPath, SCHEMA_VARS } from './helpers.js';

/*
 * The README links into docs/; these pages carry the configuration table, the deployment guide and
 * the operations runbook that the checks below hold to the code and the deployment files.
 */
const configurationPage = readRepoFile('docs/configuration.md');
const deploymentPage = readRepoFile('docs/deployment.md');
const operationsPage = readRepoFile('docs/operations.md');

/** The text of a `## ` section of a page, up to the next `## ` heading. */
function section(page: string, title: string): string {
  const start = page.indexOf(`\n## ${title}\n`);
  if (start < 0) return '';
  const end = page.indexOf('\n## ', start + 1);
  return page.slice(start, end < 0 ? undefined : end);
}

/** Variable names in the first cell of the configuration table's rows ("`A` / `B`" lists two). */
function configurationTableVars(): string[] {
  const lines = configurationPage.split('\n');
  const header = lines.findIndex((line) => /^\|\s*variable\s*\|/.test(line));
  const names: string[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const firstCell = line.split('|')[1] ?? '';
    for (const part of firstCell.split('/')) {
      const match = /^\s*`([A-Z][A-Z0-9_]*)`\s*$/.exec(part);
      if (!match?.[1]) throw new Error(`unexpected first cell in the configuration table: ${firstCell}`);
      names.push(match[1]);
    }
  }
  return names;
}

/** The range cell of the configuration table's row naming `name`, split like the first cell ("a / b"). */
function configurationRange(name: string): string | undefined {
  const row = configurationPage.split('\n').find((line) => line.startsWith('| ') && (line.split('|')[1] ?? '').includes(`\`${name}\``));
  if (row === undefined) return undefined;
  const cells = row.split('|');
  const names = [...(cells[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]);
  return (cells[3] ?? '').split(' / ')[names.indexOf(name)]?.trim();
}

/** [status, problem type suffix] of every 5xx the service's own code can answer with. */
function serverErrorCodes(): [string, string][] {
  const found = new Map<string, string>();
  const files = readdirSync(repoPath('src'), { recursive: true, encoding: 'utf8' }).filter((path) => path.endsWith('.ts') && !/^(sandbox|demo)\//.test(path));
  for (const path of files) {
    const text = readRepoFile(`src/${path}`);
    for (const match of text.matchAll(/readonly status = (5\d\d);\s*readonly code = '([a-z-]+)'/g)) {
      found.set(`${match[2]}`, `${match[1]}`);
    }
    for (const match of text.matchAll(/code: '([a-z-]+)',\s*status: (5\d\d)/g)) found.set(`${match[1]}`, `${match[2]}`);
  }
  return [...found].map(([code, status]) => [status, code]);
}

t.test('the configuration table lists exactly the variables of the config schema', (t) => {
  const documented = configurationTableVars();
  t.ok(documented.length > 0, 'the table was found');
  t.strictSame(
    documented.filter((name, index) => documented.indexOf(name) !== index),
    [],
    'no variable is listed twice',
  );
  t.strictSame(
    [...SCHEMA_VARS].filter((name) => !documented.includes(name)),
    [],
    'in EnvSchema but not in the table of docs/configuration.md (document them there)',
  );
  t.strictSame(
    documented.filter((name) => !SCHEMA_VARS.has(name)),
    [],
    'in the table of docs/configuration.md but not in EnvSchema',
  );
  t.end();
});

t.test('the configuration table gives the range of every number setting as the config schema checks it', (t) => {
  for (const name of SCHEMA_VARS) {
    const parsed = EnvSchema.safeParse({ [name]: 'not a number' });
    const message = parsed.success ? '' : (parsed.error.issues.find((issue) => issue.path[0] === name)?.message ?? '');
    const bounds = /whole number from (\d+) to (\d+)/.exec(message);
    if (bounds) t.equal(configurationRange(name), `${bounds[1]}–${bounds[2]}`, name);
  }
  t.end();
});

t.test('the topology section of docs/deployment.md draws browser, BFF, Flinks and Redis in Mermaid', (t) => {
  const mermaid = /```mermaid\n([\s\S]*?)```/.exec(section(deploymentPage, 'Topology'))?.[1] ?? '';
  t.match(mermaid, /^flowchart /);
  for (const box of ['Browser', 'BFF', 'Flinks Pay API', 'Redis', 'sandbox']) t.match(mermaid, box);
  t.end();
});

t.test('docs/deployment.md documents the build command and every deployment file', (t) => {
  const deployment = deploymentPage;
  t.match(deployment, '```sh\ndocker build -t flinks-pay-bff .\n```');
  for (const heading of ['Container image', 'docker compose', 'Kubernetes', 'Scaling out', 'Behind a TLS-terminating proxy']) {
    t.match(deployment, new RegExp(`\\n## ${heading}`), heading);
  }
  t.match(deployment, /TRUST_PROXY=true/);
  // Relative links of a docs/ page resolve from docs/.
  for (const [, link] of deployment.matchAll(/\]\(([^)#]+)\)/g)) {
    t.ok(existsSync(repoPath(`docs/${link ?? ''}`)), `${link ?? ''} exists`);
  }
  for (const file of readdirSync(repoPath('deploy/kubernetes'))) {
    t.match(deployment, `| \`${file}\` |`, `the Kubernetes table describes ${file}`);
  }
  t.end();
});

t.test('the numbers in docs/deployment.md are the ones in the files', (t) => {
  const deployment = deploymentPage;
  const compose = asObject(loadYamlDocument('docker-compose.yml').toJS());
  const replicas = asObject(asObject(asObject(compose.services).bff).deploy).replicas;
  t.match(deployment, `| \`bff\` | this repository (\`flinks-pay-bff:local\`) | ${String(replicas)} replicas`);

  const manifests = loadManifests().map(({ manifest }) => manifest);
  const hpa = asObject(manifests.find((m) => m.kind === 'HorizontalPodAutoscaler')?.spec);
  const cpu = asObject(asObject(asObject(asArray(hpa.metrics)[0]).resource).target).averageUtilization;
  t.match(deployment, `${String(hpa.minReplicas)} to ${String(hpa.maxReplicas)} pods at ${String(cpu)} % CPU`);

  const pod = asObject(asObject(asObject(manifests.find((m) => m.kind === 'Deployment')?.spec).template).spec);
  const resources = asObject(asObject(asArray(pod.containers)[0]).resources);
  const [requests, limits] = [asObject(resources.requests), asObject(resources.limits)];
  const mi = (value: unknown) => String(value).replace(/Mi$/, ' Mi');
  t.match(deployment, `requests ${String(requests.cpu)} CPU / ${mi(requests.memory)}, limits ${String(limits.cpu)} CPU / ${mi(limits.memory)}`);
  t.match(deployment, `a ${String(pod.terminationGracePeriodSeconds)} s grace period`);
  t.end();
});

t.test('logs and metrics name the fields operators search by', (t) => {
  const logs = section(operationsPage, 'Logs and metrics');
  for (const field of ['requestId', 'upstream.step', '.status', '.durationMs', 'GET /metrics', 'Prometheus']) {
    t.match(logs, field);
  }
  t.end();
});

t.test('every metric the service registers is named in the docs, and every metric the docs name is registered', async (t) => {
  const metrics = createMetrics();
  createOutcomeMetrics(metrics.registry);
  const registered = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name);
  const own = registered.filter((name) => !/^(process|nodejs)_/.test(name));
  const docs = [operationsPage, readRepoFile('docs/outcomes.md')].join('\n');
  for (const name of own) t.match(docs, `\`${name}\``, `${name} is documented`);
  const named = new Set(
    [...docs.matchAll(/`((?:http|checkout|flinks|merchant|reconcile)_[a-z_]+_(?:total|seconds|size|state|calls|open|watches|listeners))`/g)].map(
      (match) => match[1],
    ),
  );
  for (const name of named) t.ok(registered.includes(name ?? ''), `${name ?? ''} (named in the docs) is registered`);
  t.end();
});

t.test('the runbook has an entry for every 5xx the service can answer with', (t) => {
  const runbook = section(operationsPage, 'Runbook');
  const headings = runbook.split('\n').filter((line) => line.startsWith('### '));
  const openapi = JSON.parse(readRepoFile('openapi/openapi.json')) as { paths: Record<string, Record<string, { responses?: object }>> };
  const documented = new Set(
    Object.values(openapi.paths).flatMap((operations) => Object.values(operations).flatMap((operation) => Object.keys(operation.responses ?? {}))),
  );
  const statuses = [...documented].filter((status) => status.startsWith('5')).sort();
  t.ok(statuses.length >= 4, `the OpenAPI document declares ${statuses.join(', ')}`);
  for (const status of statuses) {
    t.ok(
      headings.some((heading) => heading.startsWith(`### ${status} `)),
      `a runbook entry for ${status}`,
    );
  }
  for (const [status, code] of serverErrorCodes()) {
    const heading = headings.find((line) => line.startsWith(`### ${status} `)) ?? '';
    t.match(heading, code, `problem type ${code} (${status}) is covered`);
  }
  t.end();
});
