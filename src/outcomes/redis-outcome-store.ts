import type { Redis } from 'ioredis';
import { PaymentStatusSchema } from '../upstream/flinks-pay/schemas.js';
import { redisScript } from '../store/redis-script.js';
import { DeliveryAttemptSchema, HistoryEntrySchema, OutcomeRecordSchema, statusRank, type OutcomeRecord } from './schemas.js';
import { isoOf, type OutcomeStore, type OutcomeStoreLimits } from './outcome-store.js';
import { collectPage, isAfter, type ListPosition } from './outcome-listing.js';

/*
 * A record is a hash, its history and its delivery attempts two lists, all under one hash tag
 * ({requestId}), changed by Lua scripts so each change is atomic across instances.
 */

/**
 * A new record, and its place in the two listing indexes (by order id, and newest first), in one
 * round trip: a checkout waits for it. Nothing at all when the record exists already.
 */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'requestId', ARGV[1], 'referenceId', ARGV[2], 'status', 'Initiated', 'rank', '0',
  'final', '0', 'reason', '', 'createdAt', ARGV[3], 'updatedAt', ARGV[3], 'observedAt', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[7])
return 1`;

/** Changes the status only forward and never after a final one; returns {1, HGETALL} on a change, else {0}. */
const OBSERVE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local current = redis.call('HMGET', KEYS[1], 'status', 'rank', 'final')
local changed = 0
if current[1] ~= ARGV[1] and current[3] ~= '1' and tonumber(ARGV[2]) >= tonumber(current[2] or '0') then
  redis.call('HSET', KEYS[1], 'status', ARGV[1], 'rank', ARGV[2], 'final', ARGV[3], 'reason', ARGV[4], 'updatedAt', ARGV[5])
  redis.call('RPUSH', KEYS[2], ARGV[6])
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[8]), -1)
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < tonumber(ARGV[7]) then redis.call('PEXPIRE', KEYS[1], ARGV[7]) end
  redis.call('PEXPIRE', KEYS[2], redis.call('PTTL', KEYS[1]))
  changed = 1
end
redis.call('HSET', KEYS[1], 'observedAt', ARGV[5])
if changed == 0 then return {0} end
return {1, redis.call('HGETALL', KEYS[1])}`;

const RECORD_DELIVERY = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
local ttl = redis.call('PTTL', KEYS[1])
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
return 1`;

function recordOf(flat: string[]): OutcomeRecord {
  const fields: Record<string, string> = {};
  for (let index = 0; index + 1 < flat.length; index += 2) fields[flat[index] ?? ''] = flat[index + 1] ?? '';
  return OutcomeRecordSchema.parse({
    requestId: fields.requestId,
    referenceId: fields.referenceId,
    status: fields.status,
    final: fields.final === '1',
    ...(fields.reason ? { reason: fields.reason } : {}),
    createdAt: fields.createdAt,
    updatedAt: fields.updatedAt,
    observedAt: fields.observedAt,
  });
}

function parseList<T>(items: string[], parse: (value: unknown) => T): T[] {
  return items.map((item) => parse(JSON.parse(item)));
}

/** Outcome records in Redis, under the service's key prefix, shared by every instance. */
export function createRedisOutcomeStore(redis: Redis, prefix: string, limits: OutcomeStoreLimits): OutcomeStore {
  const recordKey = (requestId: string) => `${prefix}outcome:{${requestId}}`;
  const referenceKey = (referenceId: string) => `${prefix}outcome-ref:${referenceId}`;
  const createdIndex = `${prefix}outcomes-by-created`;
  const create = redisScript(redis, CREATE);
  const observe = redisScript(redis, OBSERVE);
  const recordDelivery = redisScript(redis, RECORD_DELIVERY);

  return {
    async create({ requestId, referenceId, at }) {
      const iso = isoOf(at);
      const entry = JSON.stringify({ status: 'Initiated', at: iso, source: 'created' });
      const key = recordKey(requestId);
      await create(
        [key, `${key}:history`, referenceKey(referenceId), createdIndex],
        [requestId, referenceId, iso, limits.retentionMs, entry, at, at - limits.retentionMs],
      );
    },
    async get(requestId) {
      const flat = await redis.hgetall(recordKey(requestId));
      return Object.keys(flat).length === 0 ? undefined : recordOf(Object.entries(flat).flat());
    },
    async recordedOf(requestId) {
      const [referenceId, status, final, reason] = await redis.hmget(recordKey(requestId), 'referenceId', 'status', 'final', 'reason');
      if (referenceId === null || referenceId === undefined) return undefined;
      if (final !== '1') return { referenceId };
      return { referenceId, final: { status: PaymentStatusSchema.parse(status), ...(reason ? { reason } : {}) } };
    },
    async observe(requestId, { status, final, reason, source, at }) {
      const iso = isoOf(at);
      const entry = JSON.stringify({ status, at: iso, source, ...(reason === undefined ? {} : { reason }) });
      const key = recordKey(requestId);
      const result = (await observe(
        [key, `${key}:history`],
        [status, statusRank(status), final ? '1' : '0', reason ?? '', iso, entry, limits.minRetentionAfterWriteMs, limits.maxHistory],
      )) as [0] | [1, string[]] | null;
      if (!result) return undefined;
      return result[0] === 1 ? { changed: true, record: recordOf(result[1]) } : { changed: false };
    },
    async history(requestId) {
      return parseList(await redis.lrange(`${recordKey(requestId)}:history`, 0, -1), (v) => HistoryEntrySchema.parse(v));
    },
    async recordDelivery(requestId, attempt) {
      const key = recordKey(requestId);
      await recordDelivery([key, `${key}:deliveries`, `${key}:history`], [JSON.stringify(attempt), limits.maxDeliveries, limits.minRetentionAfterWriteMs]);
    },
    async deliveries(requestId) {
      return parseList(await redis.lrange(`${recordKey(requestId)}:deliveries`, 0, -1), (v) => DeliveryAttemptSchema.parse(v));
    },
    async findByReference(referenceId) {
      return redis.zrevrange(referenceKey(referenceId), 0, 99);
    },
    list(query) {
      const index = query.referenceId === undefined ? createdIndex : referenceKey(query.referenceId);
      // Unfiltered, one batch fills a page; a status filter reads records in larger batches.
      const batchSize = query.status === undefined ? query.limit : 100;
      return collectPage(indexBatches(redis, index, query.after, batchSize), loadRecords, query);
    },
  };

  async function loadRecords(requestIds: string[]): Promise<(OutcomeRecord | undefined)[]> {
    const pipeline = redis.pipeline();
    for (const requestId of requestIds) pipeline.hgetall(recordKey(requestId));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, flat]) => {
      if (error) throw error;
      const fields = flat as Record<string, string>;
      // An index entry can outlive its record (expired): skipped.
      return Object.keys(fields).length === 0 ? undefined : recordOf(Object.entries(fields).flat());
    });
  }
}

/**
 * The entries of a sorted-set index (score: creation time) after `after`, newest first. Ties in
 * score come in descending member order, like the listing's own order, so entries at the cursor's
 * millisecond that were already listed are skipped by value; a Set drops any entry seen twice
 * because a checkout created meanwhile shifted the offsets.
 */
async function* indexBatches(redis: Redis, key: string, after: ListPosition | undefined, size: number): AsyncGenerator<ListPosition[]> {
  const max = after ? String(after.at) : '+inf';
  const seen = new Set<string>();
  for (let offset = 0; ; offset += size) {
    const flat = await redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', offset, size);
    const batch: ListPosition[] = [];
    for (let index = 0; index + 1 < flat.length; index += 2) {
      const entry = { requestId: flat[index] ?? '', at: Number(flat[index + 1]) };
      if (!isAfter(entry, after) || seen.has(entry.requestId)) continue;
      seen.add(entry.requestId);
      batch.push(entry);
    }
    if (batch.length > 0) yield batch;
    if (flat.length < size * 2) return;
  }
}
