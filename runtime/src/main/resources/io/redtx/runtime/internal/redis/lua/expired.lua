-- The intents of this shard whose lease has expired on its own clock, oldest first.
-- KEYS: indexKey. ARGV: max count. Reply: transaction ids.
return redis.call('ZRANGE', KEYS[1], '-inf', server_time_ms(), 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[1]))
