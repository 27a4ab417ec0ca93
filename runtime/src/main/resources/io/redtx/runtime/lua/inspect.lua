-- What a resolver needs to know about a transaction's intent or record on this shard.
-- KEYS: txKey of that transaction. ARGV: none.
-- Reply: {state or 'NONE', leaseExpired ('1' | '0', on this shard's clock), primary participant name ('' if none),
--         isPrimary ('1' | '0'), shards (comma-separated, on the primary)}
local st = redis.call('HGET', KEYS[1], 'st')
if not st then
  return {'NONE', '0', '', '0', ''}
end
local function field(name)
  return redis.call('HGET', KEYS[1], name) or ''
end
local expired = server_time_ms() >= tonumber(field('lease') ~= '' and field('lease') or '0') and '1' or '0'
return {st, expired, field('pn'), field('primary'), field('shards')}
