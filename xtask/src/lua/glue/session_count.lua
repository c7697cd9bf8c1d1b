-- Count a user's active sessions, pruning the index.
-- KEYS[1]: the user's index. ARGV: now_ms ('' for TIME), record key prefix.
return #active_sessions(KEYS[1], ARGV[2], now_or_time(ARGV[1]))
