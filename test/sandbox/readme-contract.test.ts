import { readFileSync } from 'node:fs';
import t from 'tap';

/*
 * The "Sandbox contract" table of docs/sandbox.md (linked from the README) names, for each rule, the
 * tests that prove it. This keeps the names true: renaming or deleting a test without updating the
 * table fails here.
 */

const sandboxPage = readFileSync(new URL('../../docs/sandbox.md', import.meta.url), 'utf8');

function contractRows(): string[] {
  const start = sandboxPage.indexOf('\n## Sandbox contract\n');
  const end = sandboxPage.indexOf('\n## ', start + 1);
  return sandboxPage
    .slice(start, end < 0 ? undefined : end)
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| rule '));
}

/** `file.test.ts` › name; › name — a name without a file belongs to the file before it. */
function citedTests(cell: string): [string, string][] {
  const cited: [string, string][] = [];
  let file = '';
  for (const part of cell.split(/;\s*/)) {
    const match = /^(?:`([\w.-]+\.test\.ts)`\s*)?›\s*(.+)$/.exec(part.trim());
    if (!match?.[2]) throw new Error(`unreadable citation: ${part}`);
    file = match[1] ?? file;
    cited.push([file, match[2].trim()]);
  }
  return cited;
}

void t.test('every test the sandbox contract of docs/sandbox.md cites exists under test/sandbox', (t) => {
  const rows = contractRows();
  t.ok(rows.length >= 20, `the table was found (${rows.length} rules)`);
  for (const row of rows) {
    const cell = row.split(' | ')[1]?.replace(/\s*\|$/, '') ?? '';
    for (const [file, name] of citedTests(cell)) {
      const source = readFileSync(new URL(file, import.meta.url), 'utf8');
      t.ok(source.includes(`t.test('${name}'`), `${file} › ${name}`);
    }
  }
  t.end();
});
