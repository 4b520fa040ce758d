/**
 * Whether a Node version satisfies an `engines.node` range, for the forms package-lock.json holds:
 * `>=22`, `>= 0.8`, `20 || >=22`, `^16 || ^18 || >=20`, `10.x`, `>=16 || 14 >=14.17`, `*`.
 */
export function satisfies(version: string, range: string): boolean {
  const v = parts(version);
  return range.split('||').some((alternative) => {
    const tokens = alternative
      .trim()
      .replace(/([<>=^~]+)\s+/g, '$1')
      .split(/\s+/)
      .filter(Boolean);
    return tokens.every((token) => comparatorHolds(v, token));
  });
}

function parts(text: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = text
    .replace(/^v/, '')
    .split('.')
    .map((n) => (/^\d+$/.test(n) ? Number(n) : 0));
  return [major, minor, patch];
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i += 1) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function comparatorHolds(v: [number, number, number], token: string): boolean {
  if (token === '*' || token === 'x') return true;
  const match = /^(>=|<=|>|<|=|\^|~)?v?([\d.x*]+)$/.exec(token);
  if (!match?.[2]) throw new Error(`unsupported engines comparator: ${token}`);
  const operator = match[1] ?? '';
  const given = match[2]
    .split('.')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
  const bound = parts(given.join('.'));
  switch (operator) {
    case '>=':
      return compare(v, bound) >= 0;
    case '>':
      return compare(v, bound) > 0;
    case '<=':
      return compare(v, bound) <= 0;
    case '<':
      return compare(v, bound) < 0;
    case '^':
      return compare(v, bound) >= 0 && v[0] === bound[0];
    case '~':
      return compare(v, bound) >= 0 && v[0] === bound[0] && (given.length < 2 || v[1] === bound[1]);
    default:
      // `20`, `10.x`, `20.1`: every version with that prefix; `20.1.2`: exactly it.
      return given.every((n, i) => v[i] === n);
  }
}
