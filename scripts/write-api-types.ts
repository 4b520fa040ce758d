/*
 * tsx scripts/write-api-types.ts          regenerates src/browser-client/bff-api.ts from openapi/openapi.json
 * tsx scripts/write-api-types.ts --check  exits 1 when the committed file differs from what it would write
 */
import { readFile, writeFile } from 'node:fs/promises';
import { API_TYPES_FILE, renderApiTypes } from './api-types.js';

const rendered = await renderApiTypes();
if (process.argv.includes('--check')) {
  const committed = await readFile(API_TYPES_FILE, 'utf8').catch(() => '');
  if (committed !== rendered) {
    process.stderr.write('src/browser-client/bff-api.ts is out of date: run `npm run openapi` and commit it.\n');
    process.exit(1);
  }
  process.stdout.write('src/browser-client/bff-api.ts matches openapi/openapi.json.\n');
} else {
  await writeFile(API_TYPES_FILE, rendered);
  process.stdout.write('wrote src/browser-client/bff-api.ts\n');
}
