-- Validate a session and touch it when the touch interval has passed.
-- KEYS[1]: the record. ARGV: now_ms ('' for TIME), touch_interval_ms.
-- Returns the record's fields, nil when there is no active session, or
-- {'corrupt'} when the record exists but cannot be read.
local record_key = KEYS[1]
local now_ms = now_or_time(ARGV[1])
local times, corrupt = read_times(record_key)
if corrupt then
  return {'corrupt'}
end
if not times then
  return nil
end
if not is_active(times, now_ms) then
  redis.call('DEL', record_key)
  return nil
end

local touched, last_seen_ms = session_touch(times[1], times[2], times[3], times[4], now_ms, tonumber(ARGV[2]))
if touched then
  redis.call('HSET', record_key, 'last_seen', last_seen_ms)
  expire_record(record_key, {times[1], last_seen_ms, times[3], times[4]}, now_ms)
end
return record_reply(record_key)
