-- Releases a lease of a distributed lock, or takes a waiter out of the line (see lock_acquire.lua), and wakes the
-- next waiter by a message on the lock's channel.
-- KEYS: holders, line, waiters. ARGV: holder or waiter id, token ('' for a waiter), channel.
-- Reply: {1} (released, or out of line) | {0} (the lease had ended or was not this id's: nothing held was released)
local holders, line, waiters = KEYS[1], KEYS[2], KEYS[3]
local id, token = ARGV[1], ARGV[2]
local now = server_time_ms()
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
  if tonumber(deadline) <= now then
    released = 0
  end
end
-- Wakes the first live waiter in line (waiters whose deadline passed leave it on the way): by its id when it waits
-- for the lock alone, or every waiter ('*') when it is a reader or a semaphore's, as several may be granted together.
while true do
  local head = redis.call('ZRANGE', line, 0, 0)[1]
  if not head then
    break
  end
  local m = live_waiter(line, waiters, head, now)
  if m then
    redis.call('PUBLISH', ARGV[3], (m == 'r' or m == 's') and '*' or head)
    break
  end
end
return {released}
