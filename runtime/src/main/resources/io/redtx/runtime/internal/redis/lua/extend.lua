-- Extends the lease of this shard's intent while its coordinator is alive (docs/design.md#leases). Only a PREPARED
-- intent is extended: a settled marker (committed, aborted) or a missing key is left exactly as it is, so a late or
-- replayed extension can neither revive a resolved intent nor create a key. The index entry is only updated
-- (ZADD XX), never added: a recovery pass finds the intent at its new deadline.
-- KEYS: txKey, indexKey. ARGV: txid, leaseMs.
-- Reply: 1 (extended) | 0 (not PREPARED here: nothing written)
local txKey, indexKey = KEYS[1], KEYS[2]
if redis.call('HGET', txKey, 'st') ~= 'P' then
  return 0
end
local deadline = server_time_ms() + tonumber(ARGV[2])
redis.call('HSET', txKey, 'lease', deadline)
redis.call('ZADD', indexKey, 'XX', deadline, ARGV[1])
return 1
