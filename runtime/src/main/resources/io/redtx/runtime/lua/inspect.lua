-- What a resolver needs to know about another transaction's intent on this shard.
-- KEYS: txKey of that transaction. ARGV: none.
-- Reply: {state or 'NONE', leaseExpired ('1' | '0'), primary participant name ('' if none)}
local st = redis.call('HGET', KEYS[1], 'st')
if not st then
  return {'NONE', '0', ''}
end
local lease = tonumber(redis.call('HGET', KEYS[1], 'lease') or '0')
local expired = (st == 'P' and server_time_ms() >= lease) and '1' or '0'
return {st, expired, redis.call('HGET', KEYS[1], 'pn') or ''}
