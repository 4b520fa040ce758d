import { oldSpaceCapMb } from '../../src/config/runtime-limits.js';
import { asArray, asObject, composeEnvironment, loadManifests, loadYamlDocument, scalarText } from './helpers.js';

/** A deployment's memory settings, in MiB: the container limit, the old-space cap, the shedding threshold. */
export interface MemorySizing {
  limitMb: number;
  oldSpaceMb: number;
  shedAtMb: number;
}

/** "384Mi", "384M" (Docker: MiB), "1Gi", "1G" in MiB. */
export function mebibytes(quantity: unknown): number {
  const match = /^(\d+)(Mi|M|Gi|G)$/.exec(scalarText(quantity).trim());
  if (!match?.[1]) throw new Error(`unexpected memory quantity ${scalarText(quantity)}`);
  return Number(match[1]) * (match[2]?.startsWith('G') ? 1024 : 1);
}

function sizing(limit: unknown, env: Record<string, string>): MemorySizing {
  return {
    limitMb: mebibytes(limit),
    oldSpaceMb: oldSpaceCapMb(env.NODE_OPTIONS) ?? Number.NaN,
    shedAtMb: Number(env.MAX_HEAP_USED_MB ?? Number.NaN),
  };
}

/** The BFF container of deploy/kubernetes/deployment.yaml (its own `env`; the ConfigMap holds neither). */
export function deploymentMemory(): MemorySizing {
  const deployment = loadManifests().find(({ manifest }) => manifest.kind === 'Deployment')?.manifest ?? {};
  const pod = asObject(asObject(asObject(deployment.spec).template).spec);
  const container = asObject(asArray(pod.containers)[0]);
  const env = Object.fromEntries(
    asArray(container.env)
      .map(asObject)
      .map((entry) => [String(entry.name), scalarText(entry.value)]),
  );
  return sizing(asObject(asObject(container.resources).limits).memory, env);
}

/** The bff service of docker-compose.yml. */
export function composeMemory(): MemorySizing {
  const bff = asObject(asObject(asObject(loadYamlDocument('docker-compose.yml').toJS()).services).bff);
  const limits = asObject(asObject(asObject(bff.deploy).resources).limits);
  return sizing(limits.memory, composeEnvironment(bff.environment));
}
