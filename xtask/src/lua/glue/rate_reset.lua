-- Forget every hit of one subject.
-- KEYS[1]: the subject's state key. Returns 1 if it had state, else 0.
return redis.call('DEL', KEYS[1])
