-- Run once per connection: which of the commands the scripts call does this user lack? (Redis checks the ACL of
-- every call inside a script, and a refusal mid-script would leave it half-done.)
-- KEYS: none. ARGV: a key under the namespace, then command names. Reply: the refused command names.
local missing = {}
for i = 2, #ARGV do
  if not redis.acl_check_cmd(ARGV[i], ARGV[1], '0', '0') then
    missing[#missing + 1] = ARGV[i]
  end
end
return missing
