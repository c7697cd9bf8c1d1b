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
-- itself. Keys therefore live at least a minute past their last write, so
-- that a caller whose explicit clock runs ahead of the server's never sees
-- state vanish while its own clock says it still matters.
local MIN_TTL_MS = 60000

local function expire_in(key, ttl_ms)
  redis.call('PEXPIRE', key, math.max(ttl_ms, MIN_TTL_MS))
end
