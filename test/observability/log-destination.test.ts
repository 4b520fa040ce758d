import t from 'tap';
import { runCommand, runModuleSource } from '../support/process.js';

/*
 * The service's stdout destination, in a process of its own: every line arrives whole, in order and
 * in UTF-8, including the lines still waiting when the process exits at once (a crash, a forced
 * shutdown), and a closed stdout does not crash the process.
 */

const LINES = 5000;
const NAME = 'Zoë Ðorđević 漢字 🙂';

function script(afterLogging: string): string {
  return `
import pino from 'pino';
import { stdoutLogDestination } from './src/observability/log-destination.ts';
const log = pino(stdoutLogDestination());
for (let i = 0; i < ${LINES}; i++) log.info({ i, name: ${JSON.stringify(NAME)} }, 'line');
${afterLogging}
`;
}

t.test('every line reaches stdout whole and in order, also when the process exits right after logging', async (t) => {
  const { code, stdout, stderr } = await runModuleSource(script('process.exit(0);'));
  t.equal(code, 0, stderr);
  const lines = stdout.trimEnd().split('\n');
  t.equal(lines.length, LINES);
  const parsed = lines.map((line) => JSON.parse(line) as { i: number; name: string; msg: string });
  t.same(
    parsed.map((line) => line.i),
    Array.from({ length: LINES }, (_, i) => i),
  );
  t.ok(
    parsed.every((line) => line.name === NAME && line.msg === 'line'),
    'multi-byte characters survive the byte buffers',
  );
});

t.test('a reader that goes away does not crash the logging process', async (t) => {
  // `head -c 1` closes the pipe after one byte: later writes meet EPIPE, which must be swallowed.
  const { stderr } = await runCommand('sh', ['-c', `"${process.execPath}" --import tsx --input-type=module -e "$SCRIPT" | head -c 1 > /dev/null`], {
    SCRIPT: script("await new Promise((resolve) => setTimeout(resolve, 200)); log.info('after the reader left'); console.error('still running');"),
  });
  t.match(stderr, /still running/);
  t.notMatch(stderr, /EPIPE|Error/);
});
