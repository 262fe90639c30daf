/**
 * Applies one partition's batch in one round trip, fenced by the partition's last applied offset
 * and by the mark of the record at that offset.
 *
 * KEYS[1]   rate:{pN}:offset   last applied offset
 * KEYS[2]   rate:{pN}:mark     mark of the record at that offset (which log it belongs to)
 * KEYS[3..] rate:{pN}:s:<subject> (one per distinct subject) and rate:{pN}:id:<event id>
 * ARGV      firstOffset, lastOffset, allowGap ('1' | '0'), idempotency window (s), then per
 *           record: offset, mark, subject key index (0 = poison), rate, event-id key index (0 = none)
 *
 * Returns {status, storedOffset, applied, duplicates}:
 * - status 1: applied. Records at or below the stored offset are skipped (a batch redelivered
 *   after a crash between this script and the Kafka commit is never counted twice; it holds the
 *   stored offset, since the consumer resumes there), and an event
 *   whose id key exists is a duplicate (applied once within the window, SET NX EX).
 * - status 0: gap. The batch starts past storedOffset + 1 (Redis lost writes the Kafka commit
 *   already covers); nothing touched, the consumer seeks back.
 * - status 2: reset. The batch holds the stored offset but another record than the one applied
 *   there: the log was deleted and recreated (or lost). The offset and mark are dropped (the
 *   aggregates are kept), so the new log is counted from its start; the consumer seeks there.
 * - status 3: behind. The batch ends before the stored offset; nothing touched. The consumer is
 *   not reading where Redis stands (kafkajs moved it to the log start after OFFSET_OUT_OF_RANGE:
 *   a new, shorter log): skipping such a batch as applied would drop ratings never counted.
 *
 * Offsets stay strings where they are stored: Lua numbers print as 1e+14 from 10^14 on.
 *
 * A mark is `<Kafka timestamp>:#<digest of the value>`. Marks stored by earlier versions were
 * `<timestamp>:<event id>` (no '#'): those are compared by their timestamp alone, so an upgrade
 * never takes the log it resumes for a new one.
 */
export const APPLY_BATCH_LUA = `
local function sameRecord(seen, stored)
  if seen == stored then return true end
  if string.find(stored, '#', 1, true) then return false end
  return string.match(seen, '^[^:]*') == string.match(stored, '^[^:]*')
end
local stored = tonumber(redis.call('GET', KEYS[1]) or '-1')
local first = tonumber(ARGV[1])
local last = tonumber(ARGV[2])
if stored >= first and stored <= last then
  local mark = redis.call('GET', KEYS[2])
  if mark then
    for i = 5, #ARGV, 5 do
      if tonumber(ARGV[i]) == stored then
        if not sameRecord(ARGV[i + 1], mark) then
          redis.call('DEL', KEYS[1], KEYS[2])
          return {2, stored, 0, 0}
        end
        break
      end
    end
  end
end
if first > stored + 1 and ARGV[3] ~= '1' then
  return {0, stored, 0, 0}
end
if last < stored then
  return {3, stored, 0, 0}
end
if last == stored then
  return {1, stored, 0, 0}
end
local window = ARGV[4]
local agg = {}
local applied = 0
local duplicates = 0
local lastMark = false
for i = 5, #ARGV, 5 do
  local offset = tonumber(ARGV[i])
  if offset == last then lastMark = ARGV[i + 1] end
  local k = tonumber(ARGV[i + 2])
  if offset > stored and k > 0 then
    local id = tonumber(ARGV[i + 4])
    if id == 0 or redis.call('SET', KEYS[id], ARGV[i], 'NX', 'EX', window) then
      local rate = tonumber(ARGV[i + 3])
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
    else
      duplicates = duplicates + 1
    end
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
redis.call('SET', KEYS[1], ARGV[2])
if lastMark then redis.call('SET', KEYS[2], lastMark) else redis.call('DEL', KEYS[2]) end
return {1, last, applied, duplicates}
`;

/**
 * Forgets a partition's position when its log was found shorter than the stored offset (a new
 * log), only if nobody moved it meanwhile. KEYS: offset, mark. ARGV: the offset found.
 */
export const RESET_PARTITION_LUA = `
if (redis.call('GET', KEYS[1]) or '-1') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`;
