-- A subject's state is one MessagePack array under its key:
--   sliding log:     {1, clock_ms, total, at_ms, cost, at_ms, cost, ...}, oldest first
--   sliding counter: {2, window_start_ms, current, previous}
-- State of the other algorithm, or none, reads as empty state.
local LOG_TAG = 1
local COUNTER_TAG = 2

local function load_state(key, algorithm)
  local raw = redis.call('GET', key)
  local packed = nil
  if raw then
    packed = cmsgpack.unpack(raw)
  end
  if algorithm == 'log' then
    local state = {clock_ms = 0, total = 0, log_at = {}, log_cost = {}}
    if packed and packed[1] == LOG_TAG then
      state.clock_ms = packed[2]
      state.total = packed[3]
      for index = 4, #packed, 2 do
        state.log_at[#state.log_at + 1] = packed[index]
        state.log_cost[#state.log_cost + 1] = packed[index + 1]
      end
    end
    return state
  end
  local state = {window_start_ms = 0, current = 0, previous = 0}
  if packed and packed[1] == COUNTER_TAG then
    state.window_start_ms = packed[2]
    state.current = packed[3]
    state.previous = packed[4]
  end
  return state
end

local function save_state(algorithm, state)
  if algorithm == 'log' then
    local packed = {LOG_TAG, state.clock_ms, state.total}
    for index = 1, #state.log_at do
      packed[#packed + 1] = state.log_at[index]
      packed[#packed + 1] = state.log_cost[index]
    end
    return cmsgpack.pack(packed)
  end
  return cmsgpack.pack({COUNTER_TAG, state.window_start_ms, state.current, state.previous})
end
