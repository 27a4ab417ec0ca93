-- Aborts this shard's part of a transaction: never over COMMITTED. Removes the intent (locks owned by this
-- transaction, staged writes, index entry) and leaves an ABORTED tombstone for the retention, so a prepare that
-- arrives late (queued behind a pause, replayed after a reconnect) is refused. With no intent at all it writes the
-- tombstone only. Idempotent.
-- A read-only transaction releases its read locks with keepTombstone '0': a late prepare of it could only leave
-- read locks, which expire with their lease, so no tombstone is worth its memory.
-- KEYS: txKey, indexKey. ARGV: txid, retentionMs, keepTombstone ('1' | '0').
-- Reply: {'A'} | {'C'}
local txKey, indexKey = KEYS[1], KEYS[2]
local txid = ARGV[1]
local state = redis.call('HGET', txKey, 'st')
if state == 'C' then
  return {'C'}
end
if state == 'P' then
  for _, lk in ipairs(cmsgpack.unpack(redis.call('HGET', txKey, 'locks'))) do
    redis.call('HDEL', lk, txid)
  end
  redis.call('HDEL', txKey, 'ops', 'locks')
  redis.call('ZREM', indexKey, txid)
end
if ARGV[3] == '0' then
  redis.call('DEL', txKey)
else
  redis.call('HSET', txKey, 'st', 'A')
  redis.call('PEXPIRE', txKey, ARGV[2])
end
return {'A'}
