-- Aborts this shard's part of a transaction: never over COMMITTED. Removes the intent (locks owned by this
-- transaction, staged writes, index entry) and leaves an ABORTED tombstone for the retention, so a prepare that
-- arrives late (queued behind a pause, replayed after a reconnect) is refused. With no intent at all it writes the
-- tombstone only. Idempotent.
-- A read-only transaction releases its read locks with keepTombstone '0': a late prepare of it could only leave
-- read locks, which expire with their lease, so no tombstone is worth its memory.
-- A resolver (another transaction that met this one's intent) passes onlyIfExpired '1': a PREPARED transaction whose
-- lease has not expired on this shard's clock is then left alone. On the primary this is the decision: the record,
-- not the expired lease, says COMMITTED (roll forward) or, now, ABORTED; with no record at all the tombstone written
-- here makes a late prepare fail.
-- KEYS: txKey, indexKey. ARGV: txid, retentionMs, keepTombstone ('1' | '0'), onlyIfExpired ('1' | absent).
-- Reply: {'A'[, external participants still to cancel, comma-separated]} | {'C'} | {'LIVE'}
local txKey, indexKey = KEYS[1], KEYS[2]
local txid = ARGV[1]
local state = redis.call('HGET', txKey, 'st')
if state == 'C' then
  return {'C'}
end
if state == 'P' and ARGV[4] == '1' and server_time_ms() < tonumber(redis.call('HGET', txKey, 'lease')) then
  return {'LIVE'}
end
if state == 'P' then
  local locks = cmsgpack.unpack(redis.call('HGET', txKey, 'locks'))
  check_local(txKey, locks)
  for _, lk in ipairs(locks) do
    redis.call('HDEL', lk, txid)
  end
  wake_readers(txKey)
  redis.call('HDEL', txKey, 'ops', 'locks')
  redis.call('ZREM', indexKey, txid)
end
if ARGV[3] == '0' then
  redis.call('DEL', txKey)
  return {'A'}
end
redis.call('HSET', txKey, 'st', 'A')
-- A record whose external participants are not all cancelled stays, in the index, until they are (ext_done.lua):
-- recovery finds it there and cancels them.
local pending = ext_pending(txKey)
if #pending > 0 then
  redis.call('ZADD', indexKey, server_time_ms(), txid)
  return {'A', table.concat(pending, ',')}
end
redis.call('PEXPIRE', txKey, ARGV[2])
return {'A'}
