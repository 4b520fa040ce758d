import { readFileSync, readdirSync } from 'node:fs';
import { isMap, isScalar, isSeq, parseAllDocuments, parseDocument, type Document } from 'yaml';
import { EnvSchema } from '../../src/config/env-schema.js';

/** Absolute path of a file in the repository. */
export const repoPath = (relative: string): string => new URL(`../../${relative}`, import.meta.url).pathname;

export const readRepoFile = (relative: string): string => readFileSync(repoPath(relative), 'utf8');

/** Every variable the BFF reads, straight from the config schema. */
export const SCHEMA_VARS: ReadonlySet<string> = new Set(Object.keys(EnvSchema.shape));

/** What `NODE_ENV=production` cannot start without (src/config/config.ts, dependent settings). */
export const REQUIRED_IN_PRODUCTION = ['FLINKS_BASE_URL', 'FLINKS_USERNAME', 'FLINKS_PASSWORD'] as const;

export type Env = Record<string, string>;
type Json = Record<string, unknown>;

export const asObject = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Docker Compose's own tags, which the plain YAML schema does not know. */
const COMPOSE_TAGS = new Set(['!reset', '!override']);

/** Parses a YAML file, failing on any error or on a warning other than a Compose merge tag. */
export function loadYamlDocument(relative: string): Document {
  const doc = parseDocument(readRepoFile(relative));
  const problems = [
    ...doc.errors.map((e) => e.message),
    ...doc.warnings.filter((w) => !/^Unresolved tag: (!reset|!override) /.test(w.message)).map((w) => w.message),
  ];
  if (problems.length > 0) throw new Error(`${relative}: ${problems.join('\n')}`);
  return doc;
}

/** All documents of a multi-document YAML file (Kubernetes manifests), as plain objects. */
export function loadYamlDocuments(relative: string): Json[] {
  return parseAllDocuments(readRepoFile(relative)).map((doc) => {
    if (doc.errors.length > 0 || doc.warnings.length > 0) {
      throw new Error(`${relative}: ${[...doc.errors, ...doc.warnings].map((e) => e.message).join('\n')}`);
    }
    return asObject(doc.toJS());
  });
}

/** Parses an env file (`VAR=value` lines, `#` comments) as Docker Compose reads it. */
export function parseEnvFile(text: string): Env {
  const env: Env = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw new Error(`not a VAR=value line: ${line}`);
    env[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  return env;
}

/** A Compose `environment` (mapping or `VAR=value` list) as an object of strings. */
export function composeEnvironment(value: unknown): Env {
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((entry) => {
        const text = String(entry);
        const eq = text.indexOf('=');
        return eq < 0 ? [text, ''] : [text.slice(0, eq), text.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(asObject(value)).map(([key, v]) => [key, scalarText(v)]));
}

/** A YAML scalar as the string a process sees in its environment (null: empty). */
export function scalarText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

/** The paths of a Compose `env_file` entry (string, list of strings or of `{ path }`). */
export function composeEnvFiles(value: unknown): string[] {
  const entries = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return entries.map((entry) => (typeof entry === 'string' ? entry : String(asObject(entry).path)));
}

/**
 * One service of a base Compose file merged with an override, following Compose's rules for
 * what these files use: mappings merge, `env_file` lists append, `!reset` removes an environment
 * entry and `!override` replaces a whole attribute.
 */
export function mergeComposeService(base: Document, override: Document, service: string) {
  const merged = { ...asObject(asObject(asObject(base.toJS()).services)[service]) };
  const overrideNode = override.getIn(['services', service], true);
  if (!isMap(overrideNode)) return merged;
  for (const pair of overrideNode.items) {
    const key = isScalar(pair.key) ? scalarText(pair.key.value) : '';
    const node = pair.value;
    const value: unknown = override.getIn(['services', service, key]);
    const plain: unknown = isMap(node) || isSeq(node) ? (node.toJSON() as unknown) : value;
    if (key === 'environment' && isMap(node)) {
      const env = new Map(Object.entries(composeEnvironment(merged.environment)));
      for (const entry of node.items) {
        const name = isScalar(entry.key) ? scalarText(entry.key.value) : '';
        if (isScalar(entry.value) && entry.value.tag === '!reset') env.delete(name);
        else env.set(name, isScalar(entry.value) ? scalarText(entry.value.value) : '');
      }
      merged.environment = Object.fromEntries(env);
    } else if (key === 'env_file') {
      merged.env_file = [...composeEnvFiles(merged.env_file), ...composeEnvFiles(plain)];
    } else if ((isMap(node) || isSeq(node)) && node.tag !== undefined && COMPOSE_TAGS.has(node.tag)) {
      merged[key] = plain;
    } else if (isMap(node)) {
      merged[key] = { ...asObject(merged[key]), ...asObject(plain) };
    } else {
      merged[key] = plain;
    }
  }
  return merged;
}

/**
 * The environment a Compose service's container gets: env files in order, then `environment`,
 * which wins. `substitute` names a committed stand-in for a file that is not in git.
 */
export function containerEnv(service: Json, substitute: Record<string, string> = {}): Env {
  let env: Env = {};
  for (const file of composeEnvFiles(service.env_file)) {
    env = { ...env, ...parseEnvFile(readRepoFile(substitute[file] ?? file)) };
  }
  return { ...env, ...composeEnvironment(service.environment) };
}

/** Every manifest under deploy/kubernetes, with the file it came from. */
export function loadManifests(): { file: string; manifest: Json }[] {
  const dir = 'deploy/kubernetes';
  return readdirSync(repoPath(dir))
    .filter((name) => /\.ya?ml$/.test(name) && name !== 'kustomization.yaml')
    .sort()
    .flatMap((name) => loadYamlDocuments(`${dir}/${name}`).map((manifest) => ({ file: name, manifest })));
}
