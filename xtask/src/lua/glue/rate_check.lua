-- Check a hit and record it if admitted.
-- KEYS[1]: the subject's state key.
-- ARGV: algorithm ('log' or 'counter'), limit, window_ms, cost, now_ms ('' for TIME).
-- Returns {allowed (1 or 0), limit, remaining, retry_after_ms, reset_after_ms}.
local key = KEYS[1]
local algorithm = ARGV[1]
local limit = tonumber(ARGV[2])
local window_ms = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local now_ms = now_or_time(ARGV[5])

local state = load_state(key, algorithm)
local allowed, decided_limit, remaining, retry_after_ms, reset_after_ms
if algorithm == 'log' then
  local clock_ms, total
  allowed, decided_limit, remaining, retry_after_ms, reset_after_ms, clock_ms, total =
    check_log(limit, window_ms, now_ms, cost, state.clock_ms, state.total, state.log_at, state.log_cost)
  state.clock_ms = clock_ms
  state.total = total
else
  local window_start_ms, current, previous
  allowed, decided_limit, remaining, retry_after_ms, reset_after_ms, window_start_ms, current, previous =
    check_counter(limit, window_ms, now_ms, cost, state.window_start_ms, state.current, state.previous)
  state.window_start_ms = window_start_ms
  state.current = current
  state.previous = previous
end

-- The state is kept until its window empties, plus STATE_GRACE_MS.
redis.call('SET', key, save_state(algorithm, state), 'PX', reset_after_ms + STATE_GRACE_MS)
return {allowed and 1 or 0, decided_limit, remaining, retry_after_ms, reset_after_ms}
