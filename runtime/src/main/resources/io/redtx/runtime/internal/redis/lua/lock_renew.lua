-- Renews a lease of a distributed lock (see lock_acquire.lua) while its holder is alive. A lease that ended, was
-- released or was granted to another id is not renewed: it is lost, even if no one else holds the lock yet.
-- KEYS: holders. ARGV: holder id, token, lease ms.
-- Reply: {1} (renewed) | {0} (lost: nothing written)
local holders = KEYS[1]
local v = redis.call('HGET', holders, ARGV[1])
if not v then
  return {0}
end
local token, deadline, mode = string.match(v, '^(%d+)|(%d+)|(%a)$')
local now = server_time_ms()
if token ~= ARGV[2] or tonumber(deadline) <= now then
  return {0}
end
local lease = tonumber(ARGV[3])
redis.call('HSET', holders, ARGV[1], token .. '|' .. (now + lease) .. '|' .. mode)
if redis.call('PTTL', holders) < lease then
  redis.call('PEXPIRE', holders, lease)
end
return {1}
