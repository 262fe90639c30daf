/**
 * Applies one partition's batch in one round trip, fenced by the partition's last applied offset.
 *
 * KEYS[1]   rate:{pN}:offset
 * KEYS[2..] rate:{pN}:s:<subject>, one per distinct subject of the batch
 * ARGV      firstOffset, lastOffset, allowGap ('1' | '0'), then per good event: offset, key index, rate
 *
 * Returns {1, storedOffset, applied} or, when the batch starts past storedOffset + 1 (Redis lost
 * writes the Kafka commit already covers), {0, storedOffset, 0} without touching anything: the
 * consumer then seeks back to storedOffset + 1. Events at or below storedOffset are skipped, so a
 * batch redelivered after a crash between this script and the Kafka commit is never counted twice.
 */
export const APPLY_BATCH_LUA = `
local stored = tonumber(redis.call('GET', KEYS[1]) or '-1')
local first = tonumber(ARGV[1])
local last = tonumber(ARGV[2])
if first > stored + 1 and ARGV[3] ~= '1' then
  return {0, stored, 0}
end
if last <= stored then
  return {1, stored, 0}
end
local agg = {}
local applied = 0
for i = 4, #ARGV, 3 do
  if tonumber(ARGV[i]) > stored then
    local k = tonumber(ARGV[i + 1])
    local rate = tonumber(ARGV[i + 2])
    local a = agg[k]
    if not a then
      a = {count = 0, sum = 0, min = rate, max = rate, h = {}}
      agg[k] = a
    end
    a.count = a.count + 1
    a.sum = a.sum + rate
    if rate < a.min then a.min = rate end
    if rate > a.max then a.max = rate end
    a.h[rate] = (a.h[rate] or 0) + 1
    applied = applied + 1
  end
end
for k, a in pairs(agg) do
  local key = KEYS[k]
  local old = redis.call('HMGET', key, 'min', 'max')
  redis.call('HINCRBY', key, 'count', a.count)
  redis.call('HINCRBY', key, 'sum', a.sum)
  for rate, n in pairs(a.h) do
    redis.call('HINCRBY', key, 'h' .. rate, n)
  end
  if not old[1] or a.min < tonumber(old[1]) then redis.call('HSET', key, 'min', a.min) end
  if not old[2] or a.max > tonumber(old[2]) then redis.call('HSET', key, 'max', a.max) end
end
redis.call('SET', KEYS[1], last)
return {1, last, applied}
`;
