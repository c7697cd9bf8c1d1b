-- A subject's state is one MessagePack array under its key:
--   sliding log:     {1, clock_ms, total, at_ms, cost, at_ms, cost, ...}, oldest first
--   sliding counter: {2, window_start_ms, current, previous}
-- The generated log functions work on the log's array in place.
local LOG_TAG = 1
local COUNTER_TAG = 2

-- The state's array under `key` when it was written by the algorithm whose
-- tag is `tag`, else `empty`: state of the other algorithm, or none, reads
-- as empty state.
local function load_state(key, tag, empty)
  local raw = redis.call('GET', key)
  if raw then
    local packed = cmsgpack.unpack(raw)
    if packed[1] == tag then
      return packed
    end
  end
  return empty
end
