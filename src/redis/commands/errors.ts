/** Redis 7.2 error replies, verbatim, so client libraries that match on text keep working. */
export const E_WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const E_SYNTAX = 'ERR syntax error';
export const E_NOT_INT = 'ERR value is not an integer or out of range';
export const E_NOT_FLOAT = 'ERR value is not a valid float';
export const E_OVERFLOW = 'ERR increment or decrement would overflow';
export const E_NO_KEY = 'ERR no such key';
export const E_INDEX = 'ERR index out of range';
export const E_DB_INDEX = 'ERR DB index is out of range';
export const E_BIT_OFFSET = 'ERR bit offset is not an integer or out of range';
export const E_BIT_VALUE = 'ERR bit is not an integer or out of range';
export const E_NOAUTH = 'NOAUTH Authentication required.';
export const E_WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const E_OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const E_EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';
export const E_NAN = 'ERR resulting score is not a number (NaN)';
export const E_MIN_MAX_FLOAT = 'ERR min or max is not a float';
export const E_MIN_MAX_LEX = 'ERR min or max not valid string range item';
export const E_TIMEOUT = 'ERR timeout is not a float or out of range';
export const E_HASH_NOT_FLOAT = 'ERR hash value is not a float';
export const E_HASH_NOT_INT = 'ERR hash value is not an integer';
export const E_STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
export const E_POSITIVE = 'ERR value is out of range, must be positive';

export function wrongArity(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}
export function invalidExpire(cmd: string): string {
  return `ERR invalid expire time in '${cmd}' command`;
}
