-- List a user's active sessions, oldest first, pruning the index.
-- KEYS[1]: the user's index. ARGV: now_ms ('' for TIME), record key prefix.
-- Returns one array of record fields per session.
local records = {}
for _, member in ipairs(active_sessions(KEYS[1], ARGV[2], now_or_time(ARGV[1]))) do
  records[#records + 1] = record_reply(ARGV[2] .. member)
end
return records
