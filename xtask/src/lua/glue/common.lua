-- The time of the call: ARGV's explicit unix-epoch milliseconds, or Redis
-- TIME when the caller passed an empty string, so that every instance shares
-- the server's clock.
local function now_or_time(explicit)
  if explicit ~= '' then
    return tonumber(explicit)
  end
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- Expiry only reclaims memory: every script checks times against the rules
-- itself. Keys therefore live STATE_GRACE_MS (kauth-core's constant) past
-- the end of what they contain, so that a caller whose explicit clock runs
-- ahead of the server's never finds state gone while its own clock still
-- needs it.
local function expire_in(key, ttl_ms)
  redis.call('PEXPIRE', key, ttl_ms + STATE_GRACE_MS)
end
