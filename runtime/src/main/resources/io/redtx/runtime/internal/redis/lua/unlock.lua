-- Removes lock entries left behind: an entry whose owner's intent on this shard is settled (C, A) or gone no longer
-- guards anything (its writes were applied or dropped), yet would block its key for good. An entry of a PREPARED
-- owner stays, whatever its lease: that is for the resolver. Run for the locks a reader found stale, and by recovery
-- for the lock keys it sweeps.
-- KEYS: lock keys of this shard. ARGV: the prefix of this shard's intent keys.
-- Reply: {number of entries removed}
local removed = 0
for _, lk in ipairs(KEYS) do
  local owners = redis.call('HGETALL', lk)
  for j = 1, #owners, 2 do
    if intent_state(lk, ARGV[1], owners[j]) ~= 'P' then
      redis.call('HDEL', lk, owners[j])
      removed = removed + 1
    end
  end
end
return {removed}
