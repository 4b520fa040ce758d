import t from 'tap';
import { Agent, request } from 'undici';
import { startSandbox, validCheckout } from '../support/build.js';
import { BFF_LISTENING, bffProcessEnv, startProcess } from '../support/process.js';

const IN_FLIGHT = 50;

t.test(`SIGTERM under load: all ${IN_FLIGHT} in-flight checkouts complete, new connections are refused, exit 0`, async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.control.inject('paymentrequest', { kind: 'delay', ms: 500 }, IN_FLIGHT);
  const bff = await startProcess(t, 'src/server.ts', bffProcessEnv(sandbox.url, { RATE_LIMIT_MAX: '1000' }), BFF_LISTENING);
  const client = new Agent({ connections: IN_FLIGHT });
  t.teardown(() => client.close());
  const inFlight = Array.from({ length: IN_FLIGHT }, async () => {
    const res = await request(`${bff.url}/checkout`, {
      method: 'POST',
      dispatcher: client,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(validCheckout()),
    });
    await res.body.dump();
    return res.statusCode;
  });
  await sandbox.control.waitForCall('paymentrequest', IN_FLIGHT);
  bff.child.kill('SIGTERM');
  const statuses = await Promise.all(inFlight);
  t.same(
    statuses,
    Array.from({ length: IN_FLIGHT }, () => 201),
    'no in-flight request is lost',
  );
  t.match(await bff.exited, { code: 0 });
  await t.rejects(request(`${bff.url}/health`), 'the port is closed');
});
