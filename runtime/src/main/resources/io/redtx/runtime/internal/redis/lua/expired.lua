-- The intents of this shard whose lease has expired on its own clock, oldest first.
-- KEYS: indexKey. ARGV: max count.
-- Reply: {transaction id, its index score (lease deadline, or abort time), ...}, then this shard's time (ms).
local now = server_time_ms()
local found = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[1]), 'WITHSCORES')
found[#found + 1] = tostring(now)
return found
