-- Grants a distributed lock (docs/locks.md), or puts the caller in line for it.
-- A lock is a hash of its holders (holder id -> 'token|deadlineMs|mode'), a token sequence that never expires (each
-- grant takes the next number: the fencing token), the waiters in the order they first asked (a sorted set: waiter id
-- -> ms of that first ask) and the waiters' own deadlines (a hash: waiter id -> 'deadlineMs|mode'). A waiter that stops
-- asking for longer than its deadline (its process died) loses its place.
-- Modes: 'x' exclusive lock, 'w' and 'r' the two sides of a read/write lock, 's' one permit of a semaphore.
-- A transaction that requires a lease of this lock (check 'l' in lib.lua) holds a read entry in the lock's redtx lock
-- key from its prepare to its commit point: nothing is granted meanwhile, so no one else holds the lock at that
-- transaction's commit point.
-- KEYS: holders, sequence, line, waiters, redtx lock key of holders.
-- ARGV: holder id, mode, lease ms, permits ('s' only), queue ('1': wait in line if not granted, '0': try once),
--       waiter lease ms, intent key prefix of this shard.
-- Reply: {'OK', token} granted (also when this holder already holds it: a repeated call after a lost reply) |
--        {'WAIT', ms} not granted; ms is when asking again makes sense at the latest.
local holders, sequence, line, waiters, lk = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local holder, mode = ARGV[1], ARGV[2]
local lease, permits = tonumber(ARGV[3]), tonumber(ARGV[4])
local queue, waiterLease, prefix = ARGV[5] == '1', tonumber(ARGV[6]), ARGV[7]
local now = server_time_ms()

local stale = {}
local committing = foreign_owner(lk, '', 'w', prefix, stale)
remove_stale(stale)

-- Live holders; ended leases go (unless a transaction that may require one is committing).
local exclusive, count, soonest = false, 0, nil
local entries = redis.call('HGETALL', holders)
for i = 1, #entries, 2 do
  local token, deadline, m = string.match(entries[i + 1], '^(%d+)|(%d+)|(%a)$')
  deadline = tonumber(deadline)
  if entries[i] == holder and deadline > now then
    return {'OK', tonumber(token)}
  end
  if deadline <= now and not committing then
    redis.call('HDEL', holders, entries[i])
  else
    count = count + 1
    exclusive = exclusive or m == 'x' or m == 'w'
    if not soonest or deadline < soonest then
      soonest = deadline
    end
  end
end

-- Free, as far as its holders go?
local free
if committing then
  free = false
elseif mode == 'r' then
  free = not exclusive
elseif mode == 's' then
  free = count < permits
else
  free = count == 0
end

-- Live waiters ahead of this one (all of them for a newcomer), read from the head only as far as the decision needs;
-- waiters whose deadline passed leave the line on the way.
local inLine = redis.call('ZSCORE', line, holder) ~= false
local granted = free
if free then
  local ahead, first = 0, 0
  while granted do
    local batch = redis.call('ZRANGE', line, first, first + 15)
    local reachedSelf = false
    for _, w in ipairs(batch) do
      if w == holder then
        reachedSelf = true
        break
      end
      local m = live_waiter(line, waiters, w, now)
      if not m then
        first = first - 1
      else
        ahead = ahead + 1
        if mode == 'r' then
          granted = m ~= 'x' and m ~= 'w'
        elseif mode == 's' then
          granted = ahead < permits - count
        else
          granted = false
        end
        if not granted then
          break
        end
      end
    end
    if reachedSelf or #batch < 16 then
      break
    end
    first = first + 16
  end
end

if granted then
  local token = redis.call('INCR', sequence)
  redis.call('HSET', holders, holder, token .. '|' .. (now + lease) .. '|' .. mode)
  if redis.call('PTTL', holders) < lease then
    redis.call('PEXPIRE', holders, lease)
  end
  if inLine then
    redis.call('ZREM', line, holder)
    redis.call('HDEL', waiters, holder)
  end
  return {'OK', token}
end

if queue then
  if not inLine then
    redis.call('ZADD', line, now, holder)
  end
  redis.call('HSET', waiters, holder, (now + waiterLease) .. '|' .. mode)
  redis.call('PEXPIRE', line, waiterLease)
  redis.call('PEXPIRE', waiters, waiterLease)
end
if committing then
  return {'WAIT', 5}
end
return {'WAIT', soonest and math.max(1, soonest - now) or waiterLease}
