import { readFile } from 'node:fs/promises';
import t from 'tap';
import { API_TYPES_FILE, renderApiTypes } from '../../scripts/api-types.js';

/* The REST API's TypeScript types are generated from the committed OpenAPI document, never edited. */

t.test('src/browser-client/bff-api.ts is what openapi-typescript makes of openapi/openapi.json', async (t) => {
  const committed = await readFile(API_TYPES_FILE, 'utf8');
  t.equal(committed, await renderApiTypes(), 'run `npm run openapi` and commit the result');
  t.match(committed, /^\/\*\n \* Generated from openapi\/openapi\.json by openapi-typescript/);
});

t.test('the generated types follow the document: a changed schema changes them', async (t) => {
  const dir = t.testdir({
    'openapi.json': JSON.stringify({
      openapi: '3.1.0',
      info: { title: 'x', version: '1' },
      paths: {},
      components: { schemas: { CheckoutStatus: { type: 'object', properties: { status: { enum: ['Settled'] } }, required: ['status'] } } },
    }),
  });
  const rendered = await renderApiTypes(new URL(`file://${dir}/openapi.json`));
  t.match(rendered, /CheckoutStatus: \{[\s\S]*?status: "Settled";/);
});
