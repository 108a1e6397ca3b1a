-- Token bucket, atomic because Redis runs a script without interleaving.
-- KEYS[1]  the bucket (a hash: tokens, ts)
-- ARGV[1]  capacity (tokens, >= 1)
-- ARGV[2]  refill rate (tokens per second, > 0)
-- Returns {allowed (1/0), retry_after_us, tokens_left (floored)}.
--
-- The clock is Redis' TIME, not the caller's: every orchestrator instance
-- shares one clock, so skewed hosts cannot hand out extra tokens.
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end

local elapsed = math.max(0, now - ts)
tokens = math.min(capacity, tokens + elapsed * rate / 1000000)

local allowed = 0
local retry_us = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry_us = math.ceil((1 - tokens) * 1000000 / rate)
end

-- %.0f keeps the microsecond clock exact (tostring would round to 14 digits).
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%.0f', now))
-- A bucket left alone refills completely, so it can go once full: no stale keys.
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {allowed, retry_us, math.floor(tokens)}
