-- Reads one key for a transaction. KEYS: key, lockKey. ARGV: txid, op ('get' | 'hget' | 'hgetall' | 'exists'), field.
-- Reply: {'V', value} | {'N'} (absent) | {'H', flat field/value list} | {'L', ownerTxid} (foreign write intent)
--        | {'WRONGTYPE', type}
local k, lk = KEYS[1], KEYS[2]
local owner = foreign_owner(lk, ARGV[1], 'r')
if owner then
  return {'L', owner}
end
local op = ARGV[2]
local reply
if op == 'get' then
  reply = redis.pcall('GET', k)
elseif op == 'hget' then
  reply = redis.pcall('HGET', k, ARGV[3])
elseif op == 'hgetall' then
  reply = redis.pcall('HGETALL', k)
  if not is_wrongtype(reply) then
    return {'H', reply}
  end
elseif op == 'exists' then
  return {'V', tostring(redis.call('EXISTS', k))}
else
  return redis.error_reply('redtx: unknown read op ' .. tostring(op))
end
if is_wrongtype(reply) then
  return {'WRONGTYPE', key_type(k)}
end
-- Lettuce cannot emit a null element: an absent value is its own status.
if not reply then
  return {'N'}
end
return {'V', reply}
