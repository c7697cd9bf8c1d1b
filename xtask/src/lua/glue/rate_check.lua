-- Check a hit and record it if admitted.
-- KEYS[1]: the subject's state key.
-- ARGV: algorithm ('log' or 'counter'), limit, window_ms, cost, now_ms ('' for TIME).
-- Returns {allowed (1 or 0), limit, remaining, retry_after_ms, reset_after_ms}.
local key = KEYS[1]
local limit = tonumber(ARGV[2])
local window_ms = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local now_ms = now_or_time(ARGV[5])

local state, allowed, decided_limit, remaining, retry_after_ms, reset_after_ms
if ARGV[1] == 'log' then
  state = load_state(key, LOG_TAG, {LOG_TAG, 0, 0})
  allowed, decided_limit, remaining, retry_after_ms, reset_after_ms, state[2], state[3] =
    check_log(limit, window_ms, now_ms, cost, state[2], state[3], state)
else
  state = load_state(key, COUNTER_TAG, {COUNTER_TAG, 0, 0, 0})
  allowed, decided_limit, remaining, retry_after_ms, reset_after_ms, state[2], state[3], state[4] =
    check_counter(limit, window_ms, now_ms, cost, state[2], state[3], state[4])
end

-- The state is kept until its window empties, plus STATE_GRACE_MS.
redis.call('SET', key, cmsgpack.pack(state), 'PX', reset_after_ms + STATE_GRACE_MS)
return {allowed and 1 or 0, decided_limit, remaining, retry_after_ms, reset_after_ms}
