/*
 * npm run openapi        regenerates openapi/openapi.json from the routes' zod schemas
 * npm run openapi:check  exits 1 when the committed file differs from what the app serves
 */
import { readFile, writeFile } from 'node:fs/promises';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { OPENAPI_FILE, renderOpenApi } from '../src/plugins/external/swagger.js';

const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }));
const rendered = await renderOpenApi(app);
await app.close();

if (process.argv.includes('--check')) {
  const committed = await readFile(OPENAPI_FILE, 'utf8').catch(() => '');
  if (committed !== rendered) {
    process.stderr.write('openapi/openapi.json is out of date: run `npm run openapi` and commit it.\n');
    process.exit(1);
  }
  process.stdout.write('openapi/openapi.json matches the served document.\n');
} else {
  await writeFile(OPENAPI_FILE, rendered);
  process.stdout.write('wrote openapi/openapi.json\n');
}
