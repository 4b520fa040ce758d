import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { fetchKeySet } from '../../src/intents/fetch-key-set.js';

t.test('a key set body that is not JSON is refused without quoting it (the error is logged)', async (t) => {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end('jwksBODY-private-text');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const error = await fetchKeySet(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`, 2000).catch((caught: unknown) => caught);
  t.type(error, Error);
  t.equal((error as Error).message, 'the key set endpoint did not answer a JSON Web Key Set');
  t.notMatch(String((error as Error).stack), /jwksBODY/);
});
