-- Revoke every session in a user's index, active, expired or unreadable.
-- KEYS[1]: the user's index. ARGV: now_ms ('' for TIME), record key prefix.
-- Returns how many of them were active.
local index_key = KEYS[1]
local now_ms = now_or_time(ARGV[1])
local record_prefix = ARGV[2]
local revoked = 0
for _, member in ipairs(redis.call('ZRANGE', index_key, 0, -1)) do
  local record_key = record_prefix .. member
  local times = read_times(record_key)
  if times and is_active(times, now_ms) then
    revoked = revoked + 1
  end
  redis.call('DEL', record_key)
end
redis.call('DEL', index_key)
return revoked
