-- Commits this shard's intent: on the primary this is the commit point (PREPARED -> COMMITTED); on a secondary it
-- rolls the staged writes forward. Idempotent: a replay finds the state already COMMITTED. Never commits over an
-- ABORTED record. The primary's record is kept (no expiry), and stays in the intent index, until every shard is
-- settled (forget.lua), so that recovery can finish the secondaries of a coordinator that died; a secondary keeps a
-- COMMITTED marker for the retention so that a replayed prepare is refused.
-- KEYS: txKey, indexKey. ARGV: txid, retentionMs.
-- Reply: {'C'} | {'A'} | {'NONE'} (nothing known about the transaction here)
local txKey, indexKey = KEYS[1], KEYS[2]
local txid = ARGV[1]
local state = redis.call('HGET', txKey, 'st')
if state ~= 'P' then
  return {state or 'NONE'}
end
local ops = cmsgpack.unpack(redis.call('HGET', txKey, 'ops'))
local locks = cmsgpack.unpack(redis.call('HGET', txKey, 'locks'))
local touched = {}
for i, lk in ipairs(locks) do
  touched[i] = lk
end
for _, entry in ipairs(ops) do
  touched[#touched + 1] = entry[1]
end
check_local(txKey, touched)
for _, entry in ipairs(ops) do
  apply_op(entry[1], entry, 2)
end
for _, lk in ipairs(locks) do
  redis.call('HDEL', lk, txid)
end
wake_readers(txKey)
redis.call('HDEL', txKey, 'ops', 'locks')
redis.call('HSET', txKey, 'st', 'C')
if redis.call('HGET', txKey, 'primary') ~= '1' then
  redis.call('ZREM', indexKey, txid)
  redis.call('PEXPIRE', txKey, ARGV[2])
end
return {'C'}
