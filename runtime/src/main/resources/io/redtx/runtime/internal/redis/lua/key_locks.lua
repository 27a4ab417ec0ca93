-- For operators (TransactionAdmin.locks): what holds one name on this shard: the transactions' entries in the redtx
-- lock key of the key of that name, with their intents, and the distributed locks of that name. Read-only. All the
-- keys are in the name's Cluster slot (Keys colocates them), the owners' intents too.
-- KEYS: redtx lock key of the key, then holders and sequence of each lock kind ('l', 'rw', 's').
-- ARGV: txKey prefix of this shard.
-- Reply: {shard time (ms), n, n times {owner, mode ('r' | 'w'), owner's state here ('' if none), its lease ('' if
--         none)}, then per lock kind: last token ('' if none), m, m times {holder, 'token|deadline|mode'}}
local reply = {tostring(server_time_ms())}
local owners = redis.call('HGETALL', KEYS[1])
reply[#reply + 1] = tostring(#owners / 2)
for i = 1, #owners, 2 do
  local txKey = ARGV[1] .. owners[i]
  reply[#reply + 1] = owners[i]
  reply[#reply + 1] = owners[i + 1]
  reply[#reply + 1] = redis.call('HGET', txKey, 'st') or ''
  reply[#reply + 1] = redis.call('HGET', txKey, 'lease') or ''
end
for k = 2, #KEYS, 2 do
  reply[#reply + 1] = redis.call('GET', KEYS[k + 1]) or ''
  local holders = redis.call('HGETALL', KEYS[k])
  reply[#reply + 1] = tostring(#holders / 2)
  for i = 1, #holders do
    reply[#reply + 1] = holders[i]
  end
end
return reply
