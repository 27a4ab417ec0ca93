-- Acknowledges stream entries of a consumer group. A group that no longer exists has nothing to acknowledge.
-- KEYS: stream; ARGV: group, entry ids...
local r = redis.pcall('XACK', KEYS[1], unpack(ARGV))
if type(r) == 'table' and r.err then
  if string.find(r.err, 'NOGROUP', 1, true) then
    return 0
  end
  return r
end
return r
