-- Marks external participants of a record as done (confirmed on a COMMITTED record, cancelled on an ABORTED one).
-- Once none is pending an ABORTED record leaves the intent index and expires after the retention, as any tombstone;
-- a COMMITTED one is forgotten as usual (forget.lua).
-- KEYS: txKey, indexKey. ARGV: txid, retentionMs, names of the participants done...
-- Reply: how many are still pending
local txKey, indexKey = KEYS[1], KEYS[2]
for i = 3, #ARGV do
  if redis.call('HGET', txKey, 'x:' .. ARGV[i]) == 'P' then
    redis.call('HSET', txKey, 'x:' .. ARGV[i], 'D')
  end
end
local left = #ext_pending(txKey)
if left == 0 and redis.call('HGET', txKey, 'st') == 'A' then
  redis.call('ZREM', indexKey, ARGV[1])
  redis.call('PEXPIRE', txKey, ARGV[2])
end
return left
