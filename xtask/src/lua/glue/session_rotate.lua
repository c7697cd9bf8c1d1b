-- Move an active session to a new token; the old token stops working at once.
-- KEYS[1]: the old record; KEYS[2]: the new record.
-- ARGV: now_ms ('' for TIME), new token hash (hex).
-- Returns the new record's fields, or nil when the old token names no active
-- session. The user's index, named inside the record, shares the records'
-- hash tag, so it is in the same cluster slot.
local old_key, new_key = KEYS[1], KEYS[2]
local now_ms = now_or_time(ARGV[1])
local times = read_times(old_key)
if not times then
  return nil
end
if not is_active(times, now_ms) then
  redis.call('DEL', old_key)
  return nil
end

local old_hash = redis.call('HGET', old_key, 'hash')
local index_key = redis.call('HGET', old_key, 'idx')
redis.call('RENAME', old_key, new_key)
redis.call('HSET', new_key, 'hash', ARGV[2])
expire_record(new_key, times, now_ms)
if index_key then
  redis.call('ZREM', index_key, old_hash)
  redis.call('ZADD', index_key, times[1], ARGV[2])
  -- ZREM of a user's only entry deletes the index, and ZADD then makes a new
  -- one without an expiry, so the index gets the expiry session_create
  -- gives it.
  local index_ttl_ms = redis.call('PTTL', index_key)
  local needed_ms = math.max(times[3] - now_ms, 0) + STATE_GRACE_MS
  if index_ttl_ms < needed_ms then
    redis.call('PEXPIRE', index_key, needed_ms)
  end
end
return record_reply(new_key)
