-- A session record is a hash under its own key; every session key shares the
-- `{sessions}` hash tag, so each script stays in one Redis Cluster slot. A
-- user's index is a sorted set of token hashes scored by creation time, so
-- ZRANGE lists them oldest first, ties broken by hash.
local RECORD_FIELDS = {'v', 'hash', 'user', 'ws', 'idx', 'created', 'last_seen', 'expires', 'idle', 'ip', 'ua'}

-- The record's times, or nil when the key is missing; `corrupt` is true when
-- the key exists but its times are not numbers.
local function read_times(record_key)
  local fields = redis.call('HMGET', record_key, 'created', 'last_seen', 'expires', 'idle')
  if not fields[1] and not fields[2] and not fields[3] and not fields[4] then
    if redis.call('EXISTS', record_key) == 1 then
      return nil, true
    end
    return nil, false
  end
  local created, last_seen = tonumber(fields[1]), tonumber(fields[2])
  local expires, idle = tonumber(fields[3]), tonumber(fields[4])
  if not (created and last_seen and expires and idle) then
    return nil, true
  end
  return {created, last_seen, expires, idle}, false
end

local function is_active(times, now_ms)
  return session_is_active(times[1], times[2], times[3], times[4], now_ms)
end

-- Keeps the record until its session ends, plus STATE_GRACE_MS.
local function expire_record(record_key, times, now_ms)
  local ends_at_ms = session_ends_at_ms(times[1], times[2], times[3], times[4])
  expire_in(record_key, ends_at_ms - now_ms)
end

-- The user's active sessions, oldest first. Index entries whose record is
-- gone, expired or unreadable are removed; expired records are deleted.
local function active_sessions(index_key, record_prefix, now_ms)
  local active = {}
  for _, member in ipairs(redis.call('ZRANGE', index_key, 0, -1)) do
    local record_key = record_prefix .. member
    local times, corrupt = read_times(record_key)
    if times and is_active(times, now_ms) then
      active[#active + 1] = member
    else
      redis.call('ZREM', index_key, member)
      if times and not corrupt then
        redis.call('DEL', record_key)
      end
    end
  end
  return active
end

local function record_reply(record_key)
  return redis.call('HMGET', record_key, unpack(RECORD_FIELDS))
end
