-- A reader that met this transaction's write intent on a key asks to be woken when the intent here settles: flags
-- the intent (commit.lua and abort.lua publish on the intent key's channel when they find the flag) and answers how
-- long its lease still runs. The reader subscribed to that channel before calling this, so no wake-up is missed.
-- KEYS: the owner's txKey, the key's lockKey. ARGV: owner txid.
-- Reply: {'WAIT', lease left in ms (may be negative)} | {'FREE'} (settled, or no longer on this key: read again)
local txKey, lockKey = KEYS[1], KEYS[2]
if redis.call('HGET', txKey, 'st') ~= 'P' or not redis.call('HGET', lockKey, ARGV[1]) then
  return {'FREE'}
end
redis.call('HSET', txKey, 'wt', '1')
return {'WAIT', tostring(tonumber(redis.call('HGET', txKey, 'lease')) - server_time_ms())}
