import { readdirSync } from 'node:fs';
import t from 'tap';
import { loadConfig } from '../../src/config/config.js';
import { CLAIM_END_BUDGET_MS } from '../../src/config/runtime-limits.js';
import { startUpWarnings } from '../../src/config/start-up-warnings.js';
import { READINESS_CHECK_LIMIT_MS } from '../../src/routes/health.js';
import { asArray, asObject, loadManifests, loadYamlDocuments, repoPath, REQUIRED_IN_PRODUCTION, scalarText, SCHEMA_VARS, type Env } from './helpers.js';

const manifests = loadManifests();

function only(kind: string) {
  const found = manifests.filter(({ manifest }) => manifest.kind === kind).map(({ manifest }) => manifest);
  if (found.length !== 1) throw new Error(`expected one ${kind} in deploy/kubernetes, found ${found.length}`);
  return found[0] ?? {};
}

function named(kind: string, name: unknown) {
  return manifests.find(({ manifest }) => manifest.kind === kind && asObject(manifest.metadata).name === name)?.manifest;
}

const deployment = only('Deployment');
const podSpec = asObject(asObject(deployment.spec).template).spec;
const podLabels = asObject(asObject(asObject(asObject(deployment.spec).template).metadata).labels);
const containers = asArray(asObject(podSpec).containers).map(asObject);
const bff = containers[0] ?? {};

/** The BFF container's environment, resolved through its ConfigMap and Secret references. */
function bffEnv(): { env: Env; source: Record<string, string> } {
  const env: Env = {};
  const source: Record<string, string> = {};
  for (const from of asArray(bff.envFrom).map(asObject)) {
    const ref = from.configMapRef ? ['ConfigMap', asObject(from.configMapRef).name] : ['Secret', asObject(from.secretRef).name];
    const target = named(String(ref[0]), ref[1]);
    if (!target) throw new Error(`envFrom refers to a ${String(ref[0])} ${String(ref[1])} that deploy/kubernetes lacks`);
    const data = { ...asObject(target.data), ...asObject(target.stringData) };
    for (const [key, value] of Object.entries(data)) {
      env[key] = String(value);
      source[key] = String(ref[0]);
    }
  }
  for (const entry of asArray(bff.env).map(asObject)) {
    const name = String(entry.name);
    env[name] = entry.value === undefined ? `<from ${JSON.stringify(entry.valueFrom)}>` : scalarText(entry.value);
    source[name] = asObject(entry.valueFrom).secretKeyRef ? 'Secret' : 'env';
  }
  return { env, source };
}

t.test('every manifest parses and names its kind', (t) => {
  t.ok(manifests.length >= 6);
  for (const { file, manifest } of manifests) {
    t.ok(manifest.apiVersion && manifest.kind && asObject(manifest.metadata).name, `${file}: apiVersion, kind, name`);
  }
  const kinds = manifests.map(({ manifest }) => String(manifest.kind)).sort();
  t.strictSame(kinds, ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'Secret', 'Service']);
  t.end();
});

t.test('kustomization applies every manifest except the Secret template', (t) => {
  const [kustomization] = loadYamlDocuments('deploy/kubernetes/kustomization.yaml');
  const resources = asArray(asObject(kustomization).resources).map(String).sort();
  const files = readdirSync(repoPath('deploy/kubernetes'))
    .filter((name) => /\.ya?ml$/.test(name) && !['kustomization.yaml', 'secret.yaml'].includes(name))
    .sort();
  t.strictSame(resources, files, 're-applying never overwrites real credentials with placeholders');
  const image = asObject(asArray(asObject(kustomization).images)[0]);
  t.equal(String(bff.image).split(':')[0], image.name, 'the images: entry retags the Deployment image');
  t.end();
});

t.test('every variable the Deployment sets is a documented setting, and production can start', (t) => {
  const { env, source } = bffEnv();
  t.strictSame(
    Object.keys(env).filter((name) => !SCHEMA_VARS.has(name)),
    [],
    'variables missing from EnvSchema',
  );
  t.equal(env.NODE_ENV, 'production');
  for (const name of REQUIRED_IN_PRODUCTION) t.ok(env[name], `${name} is set`);
  t.equal(source.FLINKS_USERNAME, 'Secret', 'the username comes from the Secret');
  t.equal(source.FLINKS_PASSWORD, 'Secret', 'the password comes from the Secret');
  t.ok(env.REDIS_URL, 'the replicas share a Redis');
  const config = loadConfig(env);
  t.match(config, { flinks: { mode: 'remote', instance: String }, trustProxy: 1, port: 3000 });
  t.strictSame(startUpWarnings(config), [], 'and starts without a warning');
  t.end();
});

t.test('the Secret is a template with clearly marked placeholders', (t) => {
  const secret = only('Secret');
  const values = Object.values({ ...asObject(secret.stringData), ...asObject(secret.data) });
  t.ok(values.length >= 2);
  for (const value of values) t.match(value, /^REPLACE_ME/, 'a placeholder, not a credential');
  t.end();
});

t.test('the pod is probed, bounded and unprivileged', (t) => {
  const port = asArray(bff.ports).map(asObject)[0] ?? {};
  t.equal(String(port.containerPort), bffEnv().env.PORT, 'the container port is the PORT the BFF listens on');
  t.match(bff.livenessProbe, { httpGet: { path: '/health', port: port.name } });
  t.match(bff.readinessProbe, { httpGet: { path: '/ready', port: port.name } });
  t.ok(
    Number(asObject(bff.readinessProbe).timeoutSeconds) * 1000 > READINESS_CHECK_LIMIT_MS + 500,
    'the readiness probe waits long enough for the 503 that says which dependency is not answering',
  );
  t.match(bff.resources, {
    requests: { cpu: String, memory: String },
    limits: { cpu: String, memory: String },
  });
  t.match(podSpec, { securityContext: { runAsNonRoot: true } });
  t.match(bff.securityContext, {
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  });
  const preStop = asArray(asObject(asObject(asObject(bff.lifecycle).preStop).exec).command).map(String);
  // The shutdown window as the pod's configuration makes it (by default one whole checkout), then
  // the release of the idempotency claims a forced exit leaves.
  const { shutdownTimeoutMs } = loadConfig(bffEnv().env);
  const drainSeconds = Number(preStop[1] ?? 0) + (shutdownTimeoutMs + CLAIM_END_BUDGET_MS) / 1000;
  t.ok(Number(asObject(podSpec).terminationGracePeriodSeconds) > drainSeconds, `the grace period covers preStop + drain + release (${drainSeconds} s)`);
  t.end();
});

t.test('Service, HorizontalPodAutoscaler and PodDisruptionBudget select the Deployment', (t) => {
  const service = asObject(only('Service').spec);
  t.strictSame(service.selector, podLabels);
  const portName = asObject(asArray(bff.ports)[0]).name;
  t.match(service.ports, [{ targetPort: portName }]);

  const hpa = asObject(only('HorizontalPodAutoscaler').spec);
  t.match(hpa.scaleTargetRef, { kind: 'Deployment', name: asObject(deployment.metadata).name });
  t.ok(Number(hpa.minReplicas) >= 2, 'at least two pods');
  t.ok(Number(hpa.maxReplicas) > Number(hpa.minReplicas));
  t.notOk(asObject(deployment.spec).replicas, 'the HPA owns the replica count');

  t.strictSame(asObject(asObject(only('PodDisruptionBudget').spec).selector).matchLabels, podLabels);
  t.end();
});

t.test('metrics are scraped pod by pod from a port of their own, which the Service does not expose', (t) => {
  const { env } = bffEnv();
  const config = loadConfig(env);
  t.ok(config.metricsPort, 'METRICS_PORT is set');
  const ports = asArray(bff.ports).map(asObject);
  const metricsPort = ports.find((port) => port.name === 'metrics');
  t.equal(Number(metricsPort?.containerPort), config.metricsPort, 'the container declares the metrics port');
  const annotations = asObject(asObject(asObject(asObject(deployment.spec).template).metadata).annotations);
  t.equal(annotations['prometheus.io/port'], String(config.metricsPort), 'the scrape annotation points at it');
  t.equal(annotations['prometheus.io/path'], '/metrics');
  const servicePorts = asArray(asObject(only('Service').spec).ports).map(asObject);
  t.ok(servicePorts.length > 0);
  for (const port of servicePorts) {
    t.not(port.targetPort, 'metrics', 'the Service (and an Ingress behind it) never reaches the metrics port');
    t.not(Number(port.targetPort), config.metricsPort);
  }
  t.end();
});

t.test('a NetworkPolicy lets only the ingress reach the API port and only the scraper the metrics port', (t) => {
  const policy = asObject(only('NetworkPolicy').spec);
  t.strictSame(asObject(policy.podSelector).matchLabels, podLabels, 'it selects the pods');
  t.strictSame(policy.policyTypes, ['Ingress'], 'outbound calls (Flinks, Redis, merchant webhooks) stay open');
  const rules = asArray(policy.ingress).map(asObject);
  const containerPorts = asArray(bff.ports)
    .map((port) => asObject(port).name)
    .sort();
  const rulePorts = rules.map((rule) => asArray(rule.ports).map((port) => asObject(port).port)).sort();
  t.strictSame(
    rulePorts,
    containerPorts.map((name) => [name]),
    'one rule per container port, each for that port alone',
  );
  for (const rule of rules) {
    const sources = asArray(rule.from).map(asObject);
    t.equal(sources.length, 1);
    t.ok(asObject(sources[0]?.namespaceSelector).matchLabels, 'from one namespace, never from anywhere');
    t.notOk(sources[0]?.ipBlock, 'no address range');
  }
  t.end();
});
