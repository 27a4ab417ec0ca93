-- Marks COMMITTED records as settled on every shard (callers pass only records whose external participants, if any,
-- are all confirmed): each leaves the intent index and is kept for the retention
-- (outcome lookups), then expires. Takes a batch: the coordinator forgets the records of many transactions at once.
-- KEYS: indexKey, then one txKey per transaction. ARGV: retentionMs, then the txid of each txKey, in the same order.
-- Reply: how many of the records were COMMITTED (the others are left alone).
local forgotten = 0
for i = 2, #KEYS do
  if redis.call('HGET', KEYS[i], 'st') == 'C' then
    redis.call('ZREM', KEYS[1], ARGV[i])
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    forgotten = forgotten + 1
  end
end
return forgotten
