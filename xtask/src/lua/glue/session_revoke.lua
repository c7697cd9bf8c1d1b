-- Revoke one session. Its index entry is pruned by the next read of the index.
-- KEYS[1]: the record. ARGV: now_ms ('' for TIME).
-- Returns 1 when an active session was revoked, else 0.
local record_key = KEYS[1]
local now_ms = now_or_time(ARGV[1])
local times = read_times(record_key)
redis.call('DEL', record_key)
if times and is_active(times, now_ms) then
  return 1
end
return 0
