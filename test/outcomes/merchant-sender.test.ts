import t from 'tap';
import { runModuleSource } from '../support/process.js';

// In a process of its own: the test runner or another test may have loaded the library already.
const SEND_ONCE = `
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
const { createMerchantSender } = await import('./src/outcomes/merchant-sender.ts');
const cache = createRequire(import.meta.url).cache;
const loaded = () => Object.keys(cache).some((path) => path.includes('/node_modules/standardwebhooks/'));
const received = [];
const merchant = createServer((request, response) => {
  received.push(request.headers['webhook-signature']);
  response.writeHead(204).end();
});
await new Promise((resolve) => merchant.listen(0, '127.0.0.1', resolve));
const sender = createMerchantSender({
  url: 'http://127.0.0.1:' + merchant.address().port + '/hooks',
  secrets: ['whsec_' + randomBytes(32).toString('base64')],
  timeoutMs: 2000, connections: 1, userAgent: 'test',
});
const atStart = loaded();
const event = { type: 'checkout.status_changed', timestamp: new Date().toISOString(),
  data: { requestId: 'r', status: 'Settled', referenceId: 'o', final: true } };
const results = [await sender.send('msg_1', event), await sender.send('msg_2', event)];
console.log(JSON.stringify({ atStart, afterSending: loaded(), delivered: results.map((r) => r.delivered), received }));
await sender.close();
merchant.close();
`;

t.test('the webhook signing library is loaded by the first delivery, not with the sender', async (t) => {
  const { code, stdout, stderr } = await runModuleSource(SEND_ONCE);
  t.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as { atStart: boolean; afterSending: boolean; delivered: boolean[]; received: string[] };
  t.equal(report.atStart, false, 'not loaded with the sender');
  t.equal(report.afterSending, true, 'loaded to sign (the check looks in the right place)');
  t.same(report.delivered, [true, true]);
  t.equal(report.received.length, 2);
  for (const signature of report.received) t.match(signature, /^v1,[A-Za-z0-9+/]+=*$/, 'each attempt signed');
});
