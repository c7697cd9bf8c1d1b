-- The decision a check would return, writing nothing.
-- KEYS[1]: the subject's state key.
-- ARGV: algorithm ('log' or 'counter'), limit, window_ms, cost, now_ms ('' for TIME).
-- Returns {allowed (1 or 0), limit, remaining, retry_after_ms, reset_after_ms}.
local algorithm = ARGV[1]
local limit = tonumber(ARGV[2])
local window_ms = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local now_ms = now_or_time(ARGV[5])

local state = load_state(KEYS[1], algorithm)
local allowed, decided_limit, remaining, retry_after_ms, reset_after_ms
if algorithm == 'log' then
  allowed, decided_limit, remaining, retry_after_ms, reset_after_ms =
    peek_log(limit, window_ms, now_ms, cost, state.clock_ms, state.total, state.log_at, state.log_cost)
else
  allowed, decided_limit, remaining, retry_after_ms, reset_after_ms =
    peek_counter(limit, window_ms, now_ms, cost, state.window_start_ms, state.current, state.previous)
end
return {allowed and 1 or 0, decided_limit, remaining, retry_after_ms, reset_after_ms}
