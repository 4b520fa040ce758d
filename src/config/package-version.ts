import { existsSync, readFileSync } from 'node:fs';

/** The version in package.json, found above this file both in src/ (tsx) and in dist/src/ (node). */
export function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    const candidate = new URL('package.json', dir);
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { version?: string };
      return pkg.version ?? '0.0.0';
    }
    if (dir.pathname === '/') return '0.0.0';
  }
}
