-- What a resolver needs to know about a transaction's intent or record on this shard.
-- KEYS: txKey of that transaction[, the hash of this shard's one-phase markers for its id's bucket].
-- ARGV: [the transaction id, with the second key].
-- Reply: {state or 'NONE', leaseExpired ('1' | '0', on this shard's clock), primary participant name ('' if none),
--         isPrimary ('1' | '0'), shards (comma-separated, on the primary), external participants whose confirm or
--         cancel is still to do (comma-separated), every external participant the record lists (comma-separated)};
--        a one-phase commit's marker is {'C', '0', '', '0', '', '', ''}
local st = redis.call('HGET', KEYS[1], 'st')
if not st then
  if KEYS[2] and redis.call('HGET', KEYS[2], ARGV[1]) then
    return {'C', '0', '', '0', '', '', ''}
  end
  return {'NONE', '0', '', '0', '', '', ''}
end
local function field(name)
  return redis.call('HGET', KEYS[1], name) or ''
end
local expired = server_time_ms() >= tonumber(field('lease') ~= '' and field('lease') or '0') and '1' or '0'
return {st, expired, field('pn'), field('primary'), field('shards'), table.concat(ext_pending(KEYS[1]), ','),
        field('ext')}
