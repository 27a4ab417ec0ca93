-- Shared functions, prepended to every script by LuaScripts.java.
--
-- Per-key layout in KEYS: the user key followed by its lock key (a hash: transaction id -> 'r' or 'w').
-- Per-key spec in ARGV, in the same order:
--   mode ('r' | 'w' | 'a'), nChecks, checks..., and for modes 'w' and 'a': nOpTokens, op tokens...
-- Mode 'a' appends to a stream and nothing else: appends commute, so it neither takes nor meets locks (two
-- transactions publishing to one stream never conflict) and has no checks.
-- checks: 'v' value (string equals), 'x' (key absent), 'e' (key exists), 'f' field value (hash field equals),
--         'g' field (hash field absent), 'h' n f1 v1 .. fn vn (whole hash equals), 'c' value (condition: equals),
--         'a' (condition: absent), 'l' holder token (a distributed lock's holders hash holds holder's lease with that
--         token, not ended by this server's clock; see lock_acquire.lua)
-- ops:    's' value | 'p' value ttlMs (SET with PX) | 'd' | 'h' replace(0/1) nSet f1 v1 .. nDel f1 .. |
--         'x' nAppends, per append: trim strategy ('' | 'MAXLEN' | 'MINID'), '~' or '=', threshold, nFields f1 v1 ..
--         (XADD to a stream, id '*'); then nAcks, per acknowledgement: group, entry id (XACK)
-- Validation never writes: every script validates everything before its first write, because Redis does not
-- roll back a script that fails half-way. The one exception is removing a stale lock entry (see foreign_owner),
-- which is right whatever the script does next.

local function server_time_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function is_wrongtype(reply)
  return type(reply) == 'table' and reply.err ~= nil
end

-- The state of transaction owner's intent on this shard, whose key is prefix .. owner: 'P', 'C', 'A', or false (none:
-- its settled marker expired, or it never prepared here). The intent is read with the lock lk it owns in one multi-key
-- EXISTS first when the shard is a Cluster slot ('{' in the prefix): during a migration Redis refuses that unless both
-- keys are on this node, where a single-key read on the importing node would answer 'none' for an intent still on the
-- source.
local function intent_state(lk, prefix, owner)
  local otx = prefix .. owner
  if string.find(prefix, '{', 1, true) then
    redis.call('EXISTS', lk, otx)
  end
  return redis.call('HGET', otx, 'st')
end

-- Returns nil when the key is free for this transaction, else the id of the foreign owner. An entry whose owner's
-- intent here is settled or gone is stale (its writes were applied or dropped, yet it would block the key forever):
-- it is no conflict, and the lock key and owner are appended to the list stale instead, for the caller to remove.
local function foreign_owner(lk, txid, mode, prefix, stale)
  local owners = redis.call('HGETALL', lk)
  for j = 1, #owners, 2 do
    local owner = owners[j]
    if owner ~= txid and (mode == 'w' or owners[j + 1] == 'w') then
      if intent_state(lk, prefix, owner) == 'P' then
        return owner
      end
      stale[#stale + 1] = lk
      stale[#stale + 1] = owner
    end
  end
  return nil
end

-- Removes the stale lock entries foreign_owner listed.
local function remove_stale(stale)
  for i = 1, #stale, 2 do
    redis.call('HDEL', stale[i], stale[i + 1])
  end
end

-- Checks the read set of one key starting at ARGV[pos]. Returns the position after the checks and, on failure,
-- the reason ('READ_CHANGED' or 'CONDITION_FAILED').
local function check_reads(k, pos)
  local n = tonumber(ARGV[pos])
  pos = pos + 1
  for _ = 1, n do
    local kind = ARGV[pos]
    pos = pos + 1
    if kind == 'v' or kind == 'c' then
      local cur = redis.pcall('GET', k)
      if is_wrongtype(cur) or cur ~= ARGV[pos] then
        return pos, (kind == 'v') and 'READ_CHANGED' or 'CONDITION_FAILED'
      end
      pos = pos + 1
    elseif kind == 'x' or kind == 'a' then
      if redis.call('EXISTS', k) == 1 then
        return pos, (kind == 'x') and 'READ_CHANGED' or 'CONDITION_FAILED'
      end
    elseif kind == 'e' then
      if redis.call('EXISTS', k) == 0 then
        return pos, 'READ_CHANGED'
      end
    elseif kind == 'f' or kind == 'g' then
      local cur = redis.pcall('HGET', k, ARGV[pos])
      if is_wrongtype(cur) then
        return pos, 'READ_CHANGED'
      end
      if kind == 'f' then
        if cur ~= ARGV[pos + 1] then
          return pos, 'READ_CHANGED'
        end
        pos = pos + 2
      else
        if cur then
          return pos, 'READ_CHANGED'
        end
        pos = pos + 1
      end
    elseif kind == 'h' then
      local nf = tonumber(ARGV[pos])
      pos = pos + 1
      local len = redis.pcall('HLEN', k)
      if is_wrongtype(len) or len ~= nf then
        return pos, 'READ_CHANGED'
      end
      for j = 0, nf - 1 do
        if redis.call('HGET', k, ARGV[pos + 2 * j]) ~= ARGV[pos + 2 * j + 1] then
          return pos, 'READ_CHANGED'
        end
      end
      pos = pos + 2 * nf
    elseif kind == 'l' then
      local cur = redis.pcall('HGET', k, ARGV[pos])
      local held = false
      if cur and not is_wrongtype(cur) then
        local token, deadline = string.match(cur, '^(%d+)|(%d+)|')
        held = token == ARGV[pos + 1] and tonumber(deadline) > server_time_ms()
      end
      if not held then
        return pos, 'LOCK_LOST'
      end
      pos = pos + 2
    else
      return redis.error_reply('redtx: unknown check ' .. tostring(kind))
    end
  end
  return pos, nil
end

-- A hash write that keeps existing fields needs the key to be a hash (or absent).
local function op_needs_hash(ops, p)
  return ops[p] == 'h' and ops[p + 1] == '0'
end

local function key_type(k)
  return redis.call('TYPE', k)['ok']
end

-- Applies one op starting at ops[p] (ops is ARGV or a stored token list).
local function apply_op(k, ops, p)
  local op = ops[p]
  if op == 's' then
    redis.call('SET', k, ops[p + 1])
  elseif op == 'p' then
    redis.call('SET', k, ops[p + 1], 'PX', ops[p + 2])
  elseif op == 'd' then
    redis.call('DEL', k)
  elseif op == 'h' then
    local t = key_type(k)
    -- Replace, or the key was turned into another type by a writer bypassing redtx after prepare: our write wins.
    if ops[p + 1] == '1' or (t ~= 'hash' and t ~= 'none') then
      redis.call('DEL', k)
    end
    local nset = tonumber(ops[p + 2])
    p = p + 3
    if nset > 0 then
      redis.call('HSET', k, unpack(ops, p, p + 2 * nset - 1))
    end
    p = p + 2 * nset
    local ndel = tonumber(ops[p])
    if ndel > 0 then
      redis.call('HDEL', k, unpack(ops, p + 1, p + ndel))
    end
  elseif op == 'x' then
    -- Turned into another type by a writer bypassing redtx after prepare: the appends win, as a hash write does.
    local t = key_type(k)
    if t ~= 'stream' and t ~= 'none' then
      redis.call('DEL', k)
    end
    p = p + 2
    for _ = 1, tonumber(ops[p - 1]) do
      local args = {k}
      if ops[p] ~= '' then
        args[#args + 1] = ops[p]
        args[#args + 1] = ops[p + 1]
        args[#args + 1] = ops[p + 2]
      end
      args[#args + 1] = '*'
      local nf = tonumber(ops[p + 3])
      for j = p + 4, p + 3 + 2 * nf do
        args[#args + 1] = ops[j]
      end
      redis.call('XADD', unpack(args))
      p = p + 4 + 2 * nf
    end
    -- A group deleted since (NOGROUP) has nothing left to acknowledge: not a reason to stop half-way.
    for _ = 1, tonumber(ops[p]) do
      redis.pcall('XACK', k, ops[p + 1], ops[p + 2])
      p = p + 2
    end
  else
    return redis.error_reply('redtx: unknown op ' .. tostring(op))
  end
end

-- Before a script writes keys of a stored intent that it did not declare (locks, staged writes), it reads them with
-- the intent's own key in multi-key EXISTS commands. On a Redis Cluster slot being resharded Redis refuses such a
-- command unless all its keys are on this node, so the script fails before its first write and a later attempt, once
-- the keys are together, does all of the work. A single-key read would not do: the importing node answers it, under
-- ASKING, for a key still on the source as if the key did not exist, and a lock left there would outlive its intent.
-- Only a Cluster shard's intent key carries a slot tag ('{'; the namespace and ids hold none): elsewhere nothing is read.
local function check_local(txKey, keys)
  if not string.find(txKey, '{', 1, true) then
    return
  end
  for i = 1, #keys, 499 do
    redis.call('EXISTS', txKey, unpack(keys, i, math.min(i + 498, #keys)))
  end
end

-- The mode of waiter w in the line of a distributed lock (see lock_acquire.lua) if it still waits by its deadline in
-- the hash waiters; a waiter whose deadline passed (its process stopped asking) leaves the line, and nil is returned.
local function live_waiter(line, waiters, w, now)
  local v = redis.call('HGET', waiters, w)
  if v then
    local deadline, mode = string.match(v, '^(%d+)|(%a)$')
    if tonumber(deadline) > now then
      return mode
    end
  end
  redis.call('ZREM', line, w)
  redis.call('HDEL', waiters, w)
  return nil
end

-- Validates every key of KEYS[first..] against ARGV[argPos..]. Returns nil, positions of write ops (by key index)
-- and modes, or a failure reply {status, keyIndex, reason, detail}. Stale lock entries met on the way are appended to
-- the list stale (see foreign_owner); prefix is that of this shard's intent keys.
local function validate_all(first, argPos, txid, prefix, stale)
  local writes = {}
  local modes = {}
  local pos = argPos
  local idx = 0
  for i = first, #KEYS, 2 do
    idx = idx + 1
    local k, lk = KEYS[i], KEYS[i + 1]
    local mode = ARGV[pos]
    modes[idx] = mode
    local owner = mode ~= 'a' and foreign_owner(lk, txid, mode, prefix, stale)
    if owner then
      return {'CONFLICT', idx, 'FOREIGN_INTENT', owner}
    end
    local reason
    pos, reason = check_reads(k, pos + 1)
    if reason then
      return {'CONFLICT', idx, reason, ''}
    end
    if mode == 'w' or mode == 'a' then
      local n = tonumber(ARGV[pos])
      if op_needs_hash(ARGV, pos + 1) then
        local t = key_type(k)
        if t ~= 'hash' and t ~= 'none' then
          return {'WRONGTYPE', idx, t, ''}
        end
      elseif ARGV[pos + 1] == 'x' then
        local t = key_type(k)
        if t ~= 'stream' and t ~= 'none' then
          return {'WRONGTYPE', idx, t, ''}
        end
      end
      writes[idx] = pos
      pos = pos + 1 + n
    end
  end
  return nil, writes, modes
end

-- The external (TCC) participants of a record whose confirm or cancel has not succeeded yet: the record lists them in
-- 'ext' (comma-separated) and holds 'x:<name>' = 'P' (pending) or 'D' (done) for each.
local function ext_pending(txKey)
  local pending = {}
  local list = redis.call('HGET', txKey, 'ext')
  if list and list ~= '' then
    for name in string.gmatch(list, '[^,]+') do
      if redis.call('HGET', txKey, 'x:' .. name) == 'P' then
        pending[#pending + 1] = name
      end
    end
  end
  return pending
end

-- Wakes the readers waiting for this intent to settle (wait_mark.lua flagged it): called where the intent's locks
-- are removed. A hint only: a refused PUBLISH (a Redis user without it, or without the channel) changes nothing here,
-- and the readers then wait for their own timer.
local function wake_readers(txKey)
  if redis.call('HGET', txKey, 'wt') then
    redis.call('HDEL', txKey, 'wt')
    redis.pcall('PUBLISH', txKey, 'settled') -- never empty: a listener's first, empty signal means subscribed
  end
end
