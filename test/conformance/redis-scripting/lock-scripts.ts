// The lock scripts the handbook's distributed locks run, shared by the conformance tests and the
// benchmark (bench/redis/scripts-streams.mjs imports the compiled module from dist/).

// Redisson's scripts (RedissonLock), verbatim in logic: a hash of owner → hold count with a
// PEXPIRE lease; unlock publishes on the lock's channel to wake waiters.
export const LOCK = `if ((redis.call('exists', KEYS[1]) == 0) or (redis.call('hexists', KEYS[1], ARGV[2]) == 1)) then
  redis.call('hincrby', KEYS[1], ARGV[2], 1);
  redis.call('pexpire', KEYS[1], ARGV[1]);
  return nil;
end;
return redis.call('pttl', KEYS[1]);`;
export const UNLOCK = `if (redis.call('hexists', KEYS[1], ARGV[3]) == 0) then return nil; end;
local counter = redis.call('hincrby', KEYS[1], ARGV[3], -1);
if (counter > 0) then redis.call('pexpire', KEYS[1], ARGV[2]); return 0;
else redis.call('del', KEYS[1]); redis.call('publish', KEYS[2], ARGV[1]); return 1; end;
return nil;`;
export const RENEW = `if (redis.call('hexists', KEYS[1], ARGV[2]) == 1) then redis.call('pexpire', KEYS[1], ARGV[1]); return 1; end; return 0;`;

/** The SET NX EX lock's safe release: delete only while the value is still our token. */
export const RELEASE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
