-- Releases a lease of a distributed lock, or takes a waiter out of the line (see lock_acquire.lua), and wakes the
-- waiters by a message on the lock's channel.
-- KEYS: holders, line, waiters. ARGV: holder or waiter id, token ('' for a waiter), channel.
-- Reply: {1} (released, or out of line) | {0} (the lease had ended or was not this id's: nothing held was released)
local holders, line, waiters = KEYS[1], KEYS[2], KEYS[3]
local id, token = ARGV[1], ARGV[2]
local released = 1
if token == '' then
  redis.call('ZREM', line, id)
  redis.call('HDEL', waiters, id)
else
  local v = redis.call('HGET', holders, id)
  local held, deadline
  if v then
    held, deadline = string.match(v, '^(%d+)|(%d+)|')
  end
  if held ~= token then
    return {0}
  end
  redis.call('HDEL', holders, id)
  if tonumber(deadline) <= server_time_ms() then
    released = 0
  end
end
redis.call('PUBLISH', ARGV[3], id)
return {released}
