-- One read of a stream consumer: first reclaims entries other consumers left pending too long (or reads this
-- consumer's own pending entries after a restart), then reads new entries, never more than asked in all. An entry
-- delivered too often goes to the dead-letter stream, acknowledged, instead of being returned; doing that in one
-- script means it is never both buried and delivered, nor lost between the two.
-- KEYS: stream, dead-letter stream (in the stream's Cluster slot)
-- ARGV: group, consumer, count, claim idle ms ('0': no claim this time), claim cursor, max deliveries ('0': never
--       dead-letter), create group ('1' | '0'), own pending from ('' once they were all read again)
-- Reply: {'OK', next claim cursor, dead-lettered, own pending next ('' when done), {id, deliveries, {f1, v1, ..}}..}
--      | {'NOGROUP'} | {'WRONGTYPE', key, type}
local stream, dead = KEYS[1], KEYS[2]
local group, consumer = ARGV[1], ARGV[2]
local want = tonumber(ARGV[3])
local idle = tonumber(ARGV[4])
local maxdel = tonumber(ARGV[6])

local t = key_type(stream)
if t ~= 'stream' and t ~= 'none' then
  return {'WRONGTYPE', stream, t}
end
if maxdel > 0 then
  local td = key_type(dead)
  if td ~= 'stream' and td ~= 'none' then
    return {'WRONGTYPE', dead, td}
  end
end

-- Validation first, then writes: a missing group is created, or refused before anything changed.
local function group_exists()
  if t == 'none' then
    return false
  end
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    if g[2] == group then
      return true
    end
  end
  return false
end
if not group_exists() then
  if ARGV[7] ~= '1' then
    return {'NOGROUP'}
  end
  redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
end

local out = {'OK', ARGV[5], 0, ''}
local function deliver(id, fields)
  local n = redis.call('XPENDING', stream, group, id, id, 1)[1][4]
  if maxdel > 0 and n > maxdel then
    local args = {dead, '*'}
    for _, v in ipairs(fields) do
      args[#args + 1] = v
    end
    args[#args + 1] = 'redtx-dead-id'
    args[#args + 1] = id
    args[#args + 1] = 'redtx-dead-group'
    args[#args + 1] = group
    args[#args + 1] = 'redtx-deliveries'
    args[#args + 1] = tostring(n - 1)
    redis.call('XADD', unpack(args))
    redis.call('XACK', stream, group, id)
    out[3] = out[3] + 1
  else
    out[#out + 1] = {id, n, fields}
  end
end

-- This consumer's own pending entries (delivered before it restarted), read again from the group's history.
if ARGV[8] ~= '' then
  local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', want, 'STREAMS', stream, ARGV[8])
  local entries = r and r[1] and r[1][2] or {}
  for _, e in ipairs(entries) do
    out[4] = e[1]
    if e[2] then
      deliver(e[1], e[2])
    else
      -- Trimmed or deleted while pending: nothing left to deliver.
      redis.call('XACK', stream, group, e[1])
    end
  end
  return out
end

if idle > 0 then
  local r = redis.call('XAUTOCLAIM', stream, group, consumer, idle, ARGV[5], 'COUNT', want)
  out[2] = r[1]
  for _, e in ipairs(r[2]) do
    -- Redis 7 drops entries deleted while pending from the claim (and their ids from the group); older ones
    -- answer a nil entry in their place.
    if e and e[2] then
      deliver(e[1], e[2])
    end
  end
end

local left = want - (#out - 4)
if left > 0 then
  local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', left, 'STREAMS', stream, '>')
  if r then
    for _, e in ipairs(r[1][2]) do
      out[#out + 1] = {e[1], 1, e[2]}
    end
  end
end
return out
