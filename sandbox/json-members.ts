/*
 * Reads a JSON object body the way the ASP.NET Core server behind Flinks binds one: property names
 * match case-insensitively and a repeated property's last occurrence wins. Unknown properties are
 * listed, for the caller to refuse (Flinks documents a closed list of fields). It also keeps each
 * property's raw text, because only the literal shows whether an amount was written `250.00`,
 * `250.001` or `2.5e2` (Node 20's JSON.parse gives no access to it).
 */

export interface JsonFields<K extends string> {
  /** The known properties under their documented names; anything else is dropped. Undefined when the body is not an object. */
  values: Partial<Record<K, unknown>> | undefined;
  /** The raw JSON text of each known property's value, e.g. `250.00`. */
  literals: Partial<Record<K, string>>;
  /** Top-level property names that match none of the known ones, as sent, each once. */
  unknown: string[];
}

/** ASCII-only folding: JSON names of the contract are ASCII, and look-alike letters must not match. */
const fold = (name: string): string => name.replace(/[A-Z]/g, (c) => c.toLowerCase());

const WHITESPACE = /[ \t\n\r]*/y;
const STRING = /"(?:[^"\\]|\\.)*"/y;
const SCALAR = /[^,}\]\s]+/y;

/** Index just after the JSON value starting at `at`; `json` has already passed JSON.parse. */
function skipValue(json: string, at: number): number {
  const first = json[at];
  if (first === '"') return matchAt(STRING, json, at);
  if (first !== '{' && first !== '[') return matchAt(SCALAR, json, at);
  let depth = 0;
  for (let i = at; i < json.length; i += 1) {
    const char = json[i];
    if (char === '"') i = matchAt(STRING, json, i) - 1;
    else if (char === '{' || char === '[') depth += 1;
    else if ((char === '}' || char === ']') && --depth === 0) return i + 1;
  }
  return json.length;
}

function matchAt(pattern: RegExp, json: string, at: number): number {
  pattern.lastIndex = at;
  return pattern.exec(json) ? pattern.lastIndex : at;
}

/** The top-level members of a JSON object text, in order, as [decoded name, raw value text]. */
function members(json: string): [string, string][] {
  const found: [string, string][] = [];
  const skipSpace = (at: number): number => matchAt(WHITESPACE, json, at);
  let at = skipSpace(0) + 1; // past '{'
  for (;;) {
    at = skipSpace(at);
    if (json[at] !== '"') return found; // '}' of an empty object
    const nameEnd = matchAt(STRING, json, at);
    const name = JSON.parse(json.slice(at, nameEnd)) as string;
    const valueStart = skipSpace(skipSpace(nameEnd) + 1); // past ':'
    const valueEnd = skipValue(json, valueStart);
    found.push([name, json.slice(valueStart, valueEnd)]);
    at = skipSpace(valueEnd);
    if (json[at] !== ',') return found;
    at += 1;
  }
}

/**
 * Picks `names` out of `json`, which must already have passed JSON.parse (`parsed` is its result).
 * A body that is not an object gives `values: undefined`, for the schema to report.
 */
export function pickJsonFields<K extends string>(json: string, parsed: unknown, names: readonly K[]): JsonFields<K> {
  const literals: Partial<Record<K, string>> = {};
  const unknown = new Set<string>();
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { values: undefined, literals, unknown: [] };
  const byFolded = new Map(names.map((name) => [fold(name), name]));
  const values: Partial<Record<K, unknown>> = {};
  for (const [name, raw] of members(json)) {
    const known = byFolded.get(fold(name));
    if (known === undefined) {
      unknown.add(name);
      continue;
    }
    values[known] = JSON.parse(raw) as unknown;
    literals[known] = raw;
  }
  return { values, literals, unknown: [...unknown] };
}

/**
 * Same folding for a form body; a repeated field's first value counts, as ASP.NET model binding reads
 * a form. `accepted` names fields that may be sent but are not read; any other name is unknown.
 */
export function pickFormFields<K extends string>(
  form: URLSearchParams,
  names: readonly K[],
  accepted: readonly string[] = [],
): { values: Partial<Record<K, string>>; unknown: string[] } {
  const byFolded = new Map(names.map((name) => [fold(name), name]));
  const tolerated = new Set(accepted.map(fold));
  const values: Partial<Record<K, string>> = {};
  const unknown = new Set<string>();
  for (const [name, value] of form) {
    const known = byFolded.get(fold(name));
    if (known !== undefined) values[known] ??= value;
    else if (!tolerated.has(fold(name))) unknown.add(name);
  }
  return { values, unknown: [...unknown] };
}
