-- The decision a check would return, writing nothing.
-- KEYS[1]: the subject's state key.
-- ARGV: algorithm ('log' or 'counter'), limit, window_ms, cost, now_ms ('' for TIME).
-- Returns {allowed (1 or 0), limit, remaining, retry_after_ms, reset_after_ms}.
local limit = tonumber(ARGV[2])
local window_ms = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local now_ms = now_or_time(ARGV[5])

local state, allowed, decided_limit, remaining, retry_after_ms, reset_after_ms
if ARGV[1] == 'log' then
  state = load_state(KEYS[1], LOG_TAG, {LOG_TAG, 0, 0})
  allowed, decided_limit, remaining, retry_after_ms, reset_after_ms =
    peek_log(limit, window_ms, now_ms, cost, state[2], state[3], state)
else
  state = load_state(KEYS[1], COUNTER_TAG, {COUNTER_TAG, 0, 0, 0})
  allowed, decided_limit, remaining, retry_after_ms, reset_after_ms =
    peek_counter(limit, window_ms, now_ms, cost, state[2], state[3], state[4])
end
return {allowed and 1 or 0, decided_limit, remaining, retry_after_ms, reset_after_ms}
