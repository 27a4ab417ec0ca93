-- One-shard commit: validates the whole read set, checks for foreign intents, then applies every write. If it wrote,
-- it leaves a COMMITTED marker for at least the retention, so that a caller whose reply was lost can still learn the
-- outcome from status(id): a field txid = 'C' in the hash of this shard's one-phase markers for the bucket of txid.
-- The hash's expiry moves (by the retention plus a second, so about once a second at most) only when a marker would
-- outlive it. The marker goes in with redis.pcall: Redis refuses it only when the hash is elsewhere (a Cluster slot
-- being migrated), and then the commit stands without a marker rather than failing after its writes.
-- KEYS: (key, lockKey)*. ARGV: txid, the prefix of this shard's intent keys, the marker hash ('': none), the
-- retentionMs, then the per-key specs.
-- Reply: {'OK'} | {'CONFLICT', keyIndex, reason, detail} | {'WRONGTYPE', keyIndex, type, ''}
local txid = ARGV[1]
local stale = {}
local failure, writes = validate_all(1, 5, txid, ARGV[2], stale)
remove_stale(stale)
if failure then
  return failure
end
local idx = 0
local wrote = false
for i = 1, #KEYS, 2 do
  idx = idx + 1
  if writes[idx] then
    apply_op(KEYS[i], ARGV, writes[idx] + 1)
    wrote = true
  end
end
local markers = ARGV[3]
if wrote and markers ~= '' then
  local keep = tonumber(ARGV[4])
  if not is_wrongtype(redis.pcall('HSET', markers, txid, 'C')) then
    local ttl = redis.call('PTTL', markers)
    if ttl < keep then
      redis.call('PEXPIRE', markers, keep + 1000)
    end
  end
end
return {'OK'}
