-- One-shard commit: validates the whole read set, checks for foreign intents, then applies every write.
-- KEYS: (key, lockKey)*. ARGV: txid, the prefix of this shard's intent keys, then the per-key specs.
-- Reply: {'OK'} | {'CONFLICT', keyIndex, reason, detail} | {'WRONGTYPE', keyIndex, type, ''}
local txid = ARGV[1]
local stale = {}
local failure, writes = validate_all(1, 3, txid, ARGV[2], stale)
remove_stale(stale)
if failure then
  return failure
end
local idx = 0
for i = 1, #KEYS, 2 do
  idx = idx + 1
  if writes[idx] then
    apply_op(KEYS[i], ARGV, writes[idx] + 1)
  end
end
return {'OK'}
