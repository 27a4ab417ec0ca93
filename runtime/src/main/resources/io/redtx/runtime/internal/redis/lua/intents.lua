-- For operators (TransactionAdmin): intents of this shard with what an operator needs to judge them. Read-only.
-- Lists either the first entries of the shard's intent index (oldest lease deadline first) or the given ids.
-- KEYS: indexKey (of this shard: the intents read are in its slot). ARGV: txKey prefix of this shard, max count,
-- [transaction ids...].
-- Reply: {shard time (ms), then per intent found: id, state, lease deadline ('' if none), created ('' if none),
--         primary participant name, isPrimary ('1' | '0'), settled ('1' if the key expires: a settled record or
--         marker kept for the retention, no longer for recovery to finish), n, n lock keys, m, m keys of the staged
--         writes}.
-- An id in the index whose key is gone (expired meanwhile) is skipped.
local prefix, limit = ARGV[1], tonumber(ARGV[2])
local ids = {}
if #ARGV > 2 then
  for i = 3, #ARGV do
    ids[#ids + 1] = ARGV[i]
  end
else
  ids = redis.call('ZRANGE', KEYS[1], 0, limit - 1)
end
local reply = {tostring(server_time_ms())}
for _, id in ipairs(ids) do
  local txKey = prefix .. id
  local f = redis.call('HGET', txKey, 'st')
  if f then
    local h = {}
    local all = redis.call('HGETALL', txKey)
    for i = 1, #all, 2 do
      h[all[i]] = all[i + 1]
    end
    reply[#reply + 1] = id
    reply[#reply + 1] = f
    reply[#reply + 1] = h['lease'] or ''
    reply[#reply + 1] = h['created'] or ''
    reply[#reply + 1] = h['pn'] or ''
    reply[#reply + 1] = h['primary'] or '0'
    reply[#reply + 1] = redis.call('PTTL', txKey) > 0 and '1' or '0'
    -- A settled intent has no locks or staged writes left: its keys are no longer covered.
    local locks = h['locks'] and cmsgpack.unpack(h['locks']) or {}
    reply[#reply + 1] = tostring(#locks)
    for _, lk in ipairs(locks) do
      reply[#reply + 1] = lk
    end
    local ops = h['ops'] and cmsgpack.unpack(h['ops']) or {}
    reply[#reply + 1] = tostring(#ops)
    for _, op in ipairs(ops) do
      reply[#reply + 1] = op[1]
    end
  end
end
return reply
