import { readFileSync } from 'node:fs';
import t from 'tap';

/*
 * sandbox/README.md "Simulated rules" names, for each rule the simulator enforces, its source and
 * the tests that prove it. This keeps the table honest: every rule has a source (a section of
 * shared/flinks-pay-api.md, a docs.flinks.com page, or a stated choice), and renaming or deleting a
 * cited test without updating the table fails here.
 */

const readme = readFileSync(new URL('../../sandbox/README.md', import.meta.url), 'utf8');

function ruleRows(): string[][] {
  const start = readme.indexOf('\n## Simulated rules\n');
  const end = readme.indexOf('\n## ', start + 1);
  return readme
    .slice(start, end < 0 ? undefined : end)
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| rule ') && !line.startsWith('|---'))
    .map((line) => line.slice(2, -2).split(' | '));
}

/** `file.test.ts` › name; › name — a name without a file belongs to the file before it. */
function citedTests(cell: string): [string, string][] {
  const cited: [string, string][] = [];
  let file = '';
  // A test name may contain "; " itself, so only "; `" or "; ›" starts the next citation.
  for (const part of cell.split(/;\s*(?=`|›)/)) {
    const match = /^(?:`([\w.-]+\.test\.ts)`\s*)?›\s*(.+)$/.exec(part.trim());
    if (!match?.[2]) throw new Error(`unreadable citation: ${part}`);
    file = match[1] ?? file;
    cited.push([file, match[2].trim()]);
  }
  return cited;
}

const SOURCE = /^(?:§\d|https:\/\/docs\.flinks\.com\/|not documented by Flinks\b.*: chosen\b)/;

void t.test('every simulated rule in sandbox/README.md has a source and cites tests that exist', (t) => {
  const rows = ruleRows();
  t.ok(rows.length >= 40, `the table was found (${rows.length} rules)`);
  for (const [rule = '', source = '', tests = '', ...rest] of rows) {
    t.same(rest, [], `three cells: ${rule}`);
    t.match(source, SOURCE, `a source: ${rule}`);
    for (const [file, name] of citedTests(tests)) {
      const text = readFileSync(new URL(file, import.meta.url), 'utf8');
      t.ok(text.includes(`t.test('${name}'`), `${file} › ${name}`);
    }
  }
  t.end();
});
