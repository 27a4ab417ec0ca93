-- Marks a COMMITTED record as settled on every shard: it leaves the intent index and is kept for the retention
-- (outcome lookups), then expires.
-- KEYS: txKey, indexKey. ARGV: retentionMs, txid. Reply: 1 if the record was COMMITTED, else 0.
if redis.call('HGET', KEYS[1], 'st') == 'C' then
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return 1
end
return 0
