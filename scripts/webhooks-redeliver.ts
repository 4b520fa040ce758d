/*
 * npm run -s webhooks:redeliver -- <requestId> [<requestId> …]
 *
 * Sends the latest status event of each checkout to the merchant again: the same event and the
 * same webhook-id, as a new attempt, through the shared job queue in Redis. A running instance
 * delivers it (and retries it as usual for MERCHANT_WEBHOOK_MAX_AGE_HOURS). Run it with the
 * service's environment (REDIS_URL, REDIS_KEY_PREFIX, MERCHANT_WEBHOOK_URL, MERCHANT_WEBHOOK_SECRET).
 */
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { NothingToRedeliverError } from '../src/errors/app-errors.js';
import { createOutcomeDelivery } from '../src/outcomes/outcome-delivery.js';
import { createRedisConnection } from '../src/store/redis-connection.js';
import { REQUEST_ID_PATTERN } from '../src/upstream/flinks-pay/schemas.js';

const USAGE = 'usage: npm run -s webhooks:redeliver -- <requestId> [<requestId> …]';

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  fail(error.message);
}
const requestIds = process.argv.slice(2).filter((arg) => arg !== '--');
if (requestIds.length === 0) fail(USAGE);
for (const id of requestIds) if (!REQUEST_ID_PATTERN.test(id)) fail(`not a requestId: ${JSON.stringify(id)}\n${USAGE}`);
if (!config.redis) {
  fail('REDIS_URL is not set: without Redis, records and deliveries live inside the running process and only it can resend them.');
}
const { merchantWebhook } = config.outcomes;
if (!merchantWebhook) fail('MERCHANT_WEBHOOK_URL and MERCHANT_WEBHOOK_SECRET are not set: there is nowhere to send to.');

const log = pino({ level: 'warn' }, pino.destination(2)) as unknown as FastifyBaseLogger;
const shared = createRedisConnection(config.redis.url, log);
await shared.connect();
const outcomes = await createOutcomeDelivery({
  reconcile: config.outcomes.reconcile,
  delivery: config.outcomes.delivery,
  merchant: merchantWebhook,
  redis: { ...config.redis, shared },
  memoryMaxEntries: config.memoryStoreMaxEntries,
  registry: new Registry(),
  log,
  userAgent: 'flinks-pay-checkout-bff/webhooks-redeliver',
});

// Given a merchant webhook, delivery is on; the fallback only tells the type so.
const redeliver = outcomes.redeliver ?? fail('merchant webhooks are off');

/** The checkout's redelivery, or why there is none to make (a checkout still Initiated has sent no event yet). */
async function redeliverOne(requestId: string) {
  try {
    return await redeliver(requestId);
  } catch (error) {
    if (error instanceof NothingToRedeliverError) return 'nothing yet' as const;
    throw error;
  }
}

let missing = 0;
for (const requestId of requestIds) {
  const result = await redeliverOne(requestId);
  if (result === 'nothing yet') {
    missing += 1;
    process.stdout.write(`${requestId}: no status event sent yet (still Initiated); nothing to send again\n`);
    continue;
  }
  if (!result) {
    missing += 1;
    process.stdout.write(`${requestId}: no record (never created here, or older than 7 days, or than RECONCILE_MAX_AGE_HOURS when that is longer)\n`);
    continue;
  }
  const how = { rerun: 'queued again', pending: 'still being retried; moved to now', added: 'queued' }[result.outcome];
  process.stdout.write(`${requestId}: ${result.webhookId} ${how}\n`);
}
await outcomes.close();
await shared.quit();
process.exit(missing > 0 ? 1 : 0);
