-- Marks a COMMITTED record as settled on every shard: it is kept for the retention (outcome lookups), then expires.
-- KEYS: txKey. ARGV: retentionMs. Reply: 1 if the record was COMMITTED, else 0.
if redis.call('HGET', KEYS[1], 'st') == 'C' then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return 1
end
return 0
