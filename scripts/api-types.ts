import { readFile } from 'node:fs/promises';
import openapiTS, { astToString } from 'openapi-typescript';

/*
 * TypeScript types for the REST API, generated from the committed OpenAPI document by
 * openapi-typescript. The browser client (src/browser-client/) is typed by them and serves them
 * as /client/bff-api.d.ts. `npm run openapi` rewrites the file, `npm run openapi:check` and
 * test/client/api-types.test.ts fail when it is out of date.
 */

export const OPENAPI_DOCUMENT = new URL('../openapi/openapi.json', import.meta.url);
export const API_TYPES_FILE = new URL('../src/browser-client/bff-api.ts', import.meta.url);

const HEADER = [
  '/*',
  ' * Generated from openapi/openapi.json by openapi-typescript (scripts/api-types.ts): do not edit.',
  ' * Regenerate with `npm run openapi`; `npm run openapi:check` fails when this file is out of date.',
  ' */',
  '',
].join('\n');

/** The types file as it should be committed for the OpenAPI document at `documentUrl`. */
export async function renderApiTypes(documentUrl: URL = OPENAPI_DOCUMENT): Promise<string> {
  const document = JSON.parse(await readFile(documentUrl, 'utf8')) as Parameters<typeof openapiTS>[0];
  return HEADER + astToString(await openapiTS(document, { exportType: false }));
}
