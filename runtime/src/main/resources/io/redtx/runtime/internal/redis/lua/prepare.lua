-- Prepare on one shard of a multi-shard transaction: refuses if the transaction is already settled here,
-- validates, then writes the intent: locks for every key, the staged writes and the lease deadline (server clock)
-- in the transaction key, and an entry in the shard's intent index. The primary's transaction key is also the
-- transaction record (state PREPARED, shards, created).
-- KEYS: txKey, indexKey, (key, lockKey)*. ARGV: txid, leaseMs, isPrimary ('1'|'0'), shards, primary participant name
-- ('' for a read-only transaction, which has no record), external participants (comma-separated, on the primary
-- only: the record lists them, each pending, before any of them is asked to reserve), then per-key specs.
-- Reply: {'OK'} | {'SETTLED', state} | {'CONFLICT', keyIndex, reason, detail} | {'WRONGTYPE', keyIndex, type, ''}
local txKey, indexKey = KEYS[1], KEYS[2]
local txid = ARGV[1]
local state = redis.call('HGET', txKey, 'st')
if state == 'P' then
  return {'OK'} -- replayed prepare: the intent is already here
elseif state then
  return {'SETTLED', state}
end
local stale = {}
local failure, writes, modes = validate_all(3, 7, txid, string.sub(txKey, 1, #txKey - #txid), stale)
remove_stale(stale)
if failure then
  return failure
end
-- TIME before the transaction's first write: a command refused here (an ACL missing it) must fail the script while
-- it has written nothing of it.
local now = server_time_ms()
local deadline = now + tonumber(ARGV[2])
local locks = {}
local ops = {}
local idx = 0
for i = 3, #KEYS, 2 do
  idx = idx + 1
  local lk = KEYS[i + 1]
  if modes[idx] ~= 'a' then
    redis.call('HSET', lk, txid, modes[idx])
    locks[#locks + 1] = lk
  end
  local p = writes[idx]
  if p then
    local n = tonumber(ARGV[p])
    ops[#ops + 1] = {KEYS[i], unpack(ARGV, p + 1, p + n)}
  end
end
redis.call('HSET', txKey, 'st', 'P', 'lease', deadline, 'primary', ARGV[3], 'shards', ARGV[4], 'pn', ARGV[5],
  'created', now,
  'locks', cmsgpack.pack(locks), 'ops', cmsgpack.pack(ops))
if ARGV[6] ~= '' then
  redis.call('HSET', txKey, 'ext', ARGV[6])
  for name in string.gmatch(ARGV[6], '[^,]+') do
    redis.call('HSET', txKey, 'x:' .. name, 'P')
  end
end
redis.call('ZADD', indexKey, deadline, txid)
return {'OK'}
