-- Reads keys for a transaction: the reads one transaction issued together on this shard, in one call.
-- KEYS: (key, lockKey)*. ARGV: txid, the prefix of this shard's intent keys, then per key: op ('get' | 'hget' |
-- 'hgetall' | 'exists'), field ('' if none).
-- Reply: one entry per key, in order, each {'V', value} | {'N'} (absent) | {'H', flat field/value list}
--        | {'L', ownerTxid} (foreign write intent) | {'WRONGTYPE', type}; then, if a stale lock entry was met (see
--        foreign_owner: no conflict), one more: {'STALE', lockKey...}, which this read-only script cannot remove.
local stale = {}

local function read_one(k, lk, op, field)
  local owner = foreign_owner(lk, ARGV[1], 'r', ARGV[2], stale)
  if owner then
    return {'L', owner}
  end
  local reply
  if op == 'get' then
    reply = redis.pcall('GET', k)
  elseif op == 'hget' then
    reply = redis.pcall('HGET', k, field)
  elseif op == 'hgetall' then
    reply = redis.pcall('HGETALL', k)
    if not is_wrongtype(reply) then
      return {'H', reply}
    end
  elseif op == 'exists' then
    return {'V', tostring(redis.call('EXISTS', k))}
  else
    error('redtx: unknown read op ' .. tostring(op))
  end
  if is_wrongtype(reply) then
    return {'WRONGTYPE', key_type(k)}
  end
  -- Lettuce cannot emit a null element: an absent value is its own status.
  if not reply then
    return {'N'}
  end
  return {'V', reply}
end

local replies = {}
for i = 1, #KEYS, 2 do
  -- Key n (i = 2n - 1) has its op at ARGV[2n + 1] and its field at ARGV[2n + 2].
  replies[#replies + 1] = read_one(KEYS[i], KEYS[i + 1], ARGV[i + 2], ARGV[i + 3])
end
if #stale > 0 then
  local locks = {'STALE'}
  for i = 1, #stale, 2 do
    locks[#locks + 1] = stale[i]
  end
  replies[#replies + 1] = locks
end
return replies
