-- Create a session, revoking the user's oldest active ones beyond the cap.
-- KEYS[1]: the user's index; KEYS[2]: the new record.
-- ARGV: now_ms ('' for TIME), record key prefix, token hash (hex), user,
--   workspace, ip ('' when unknown), user agent, absolute_ttl_ms,
--   idle_timeout_ms, max_sessions_per_user, record format version.
-- Returns the new record's fields.
local index_key, record_key = KEYS[1], KEYS[2]
local now_ms = now_or_time(ARGV[1])
local record_prefix, hash = ARGV[2], ARGV[3]
local absolute_ttl_ms, idle_timeout_ms = tonumber(ARGV[8]), tonumber(ARGV[9])

local active = active_sessions(index_key, record_prefix, now_ms)
local evictions = session_evictions(#active, tonumber(ARGV[10]))
for index = 1, evictions do
  redis.call('DEL', record_prefix .. active[index])
  redis.call('ZREM', index_key, active[index])
end

local created_ms, last_seen_ms, expires_at_ms, idle_ms = session_start(now_ms, absolute_ttl_ms, idle_timeout_ms)
redis.call('HSET', record_key,
  'v', ARGV[11], 'hash', hash, 'user', ARGV[4], 'ws', ARGV[5], 'idx', index_key,
  'created', created_ms, 'last_seen', last_seen_ms, 'expires', expires_at_ms, 'idle', idle_ms,
  'ip', ARGV[6], 'ua', ARGV[7])
expire_record(record_key, {created_ms, last_seen_ms, expires_at_ms, idle_ms}, now_ms)

-- The index lives at least as long as its newest session can.
redis.call('ZADD', index_key, created_ms, hash)
local index_ttl_ms = redis.call('PTTL', index_key)
local needed_ms = math.max(expires_at_ms - now_ms, 0) + STATE_GRACE_MS
if index_ttl_ms < needed_ms then
  redis.call('PEXPIRE', index_key, needed_ms)
end
return record_reply(record_key)
