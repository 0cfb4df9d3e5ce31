// Differential test: the same command script runs against Debian's redis-server and Nimbus over
// raw sockets, and every reply must be byte-identical (RESP2 and RESP3). Only deterministic
// commands are used. Skipped when redis-server is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { requireTool } from '../../helpers/tools.js';
import { RespReplyReader } from './resp-reader.js';
import { useBothServers } from './raw-conn.js';

const servers = useBothServers();

function encode(argv: string[]): Buffer {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return Buffer.from(s);
}

/** Runs commands one by one, returning each raw reply. */
async function runScript(port: number, cmds: string[][]): Promise<string[]> {
  const s = createConnection(port, '127.0.0.1');
  await new Promise<void>((r, j) => {
    s.on('connect', () => r());
    s.on('error', j);
  });
  const reader = new RespReplyReader();
  const out: string[] = [];
  let waiting: (() => void) | null = null;
  s.on('data', (d: Buffer) => {
    reader.feed(d);
    waiting?.();
  });
  for (const cmd of cmds) {
    s.write(encode(cmd));
    for (;;) {
      const r = reader.next();
      if (r !== null) {
        out.push(r);
        break;
      }
      await new Promise<void>((res) => (waiting = res));
    }
  }
  s.destroy();
  return out;
}

const SCRIPT: string[][] = [
  ['FLUSHALL'],
  ['SET', 'a', '1'], ['GET', 'a'], ['INCRBY', 'a', '10'], ['DECR', 'a'], ['INCRBYFLOAT', 'a', '0.5'], ['INCRBYFLOAT', 'a', '1e3'],
  ['SET', 'a', 'x', 'NX'], ['SET', 'a', 'y', 'XX', 'GET'], ['SET', 'a', 'z', 'EX', '0'], ['SET', 'a', 'z', 'EX', 'abc'], ['SET', 'a', 'b', 'NX', 'XX'],
  ['GETRANGE', 'a', '0', '-1'], ['SETRANGE', 'a', '5', 'q'], ['GET', 'a'], ['STRLEN', 'a'], ['APPEND', 'a', 'zz'],
  ['MSET', 'k1', 'v1', 'k2', 'v2'], ['MGET', 'k1', 'k2', 'k3'], ['MSETNX', 'k1', 'x', 'k9', 'y'], ['GETSET', 'k1', 'n'],
  ['INCR', 'k1'], ['SET', 'big', '9223372036854775807'], ['INCR', 'big'], ['DECRBY', 'big', '-1'],
  ['SETBIT', 'bits', '7', '1'], ['SETBIT', 'bits', '100', '1'], ['GETBIT', 'bits', '7'], ['BITCOUNT', 'bits'], ['BITCOUNT', 'bits', '0', '0'],
  ['BITCOUNT', 'bits', '5', '30', 'BIT'], ['BITPOS', 'bits', '1'], ['BITPOS', 'bits', '0'], ['BITPOS', 'bits', '1', '2'],
  ['SET', 'b1', 'abc'], ['SET', 'b2', 'ab'], ['BITOP', 'AND', 'bd', 'b1', 'b2'], ['GET', 'bd'], ['BITOP', 'NOT', 'bn', 'b1'], ['GET', 'bn'],
  ['BITFIELD', 'bf', 'SET', 'u8', '0', '255', 'GET', 'u8', '0', 'INCRBY', 'u8', '0', '10', 'OVERFLOW', 'SAT', 'INCRBY', 'i5', '#3', '100'],
  ['BITFIELD', 'bf', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '10'],
  ['LCS', 'b1', 'b2'], ['SET', 'l1', 'ohmytext'], ['SET', 'l2', 'mynewtext'], ['LCS', 'l1', 'l2'], ['LCS', 'l1', 'l2', 'LEN'], ['LCS', 'l1', 'l2', 'IDX', 'MINMATCHLEN', '2', 'WITHMATCHLEN'],
  ['RPUSH', 'L', 'a', 'b', 'c', 'b'], ['LRANGE', 'L', '0', '-1'], ['LRANGE', 'L', '-100', '100'], ['LINDEX', 'L', '-1'], ['LPOS', 'L', 'b'], ['LPOS', 'L', 'b', 'RANK', '-1'],
  ['LPOS', 'L', 'b', 'COUNT', '0'], ['LINSERT', 'L', 'BEFORE', 'c', 'X'], ['LREM', 'L', '-1', 'b'], ['LSET', 'L', '0', 'A'], ['LSET', 'L', '99', 'A'], ['LTRIM', 'L', '1', '-2'],
  ['LRANGE', 'L', '0', '-1'], ['LPOP', 'L', '0'], ['RPOP', 'missing'], ['LPOP', 'missing', '2'], ['LMPOP', '2', 'missing', 'L', 'RIGHT', 'COUNT', '5'], ['EXISTS', 'L'],
  ['HSET', 'H', 'f1', 'v1', 'f2', '2'], ['HGET', 'H', 'f1'], ['HINCRBY', 'H', 'f2', '5'], ['HINCRBY', 'H', 'f1', '1'], ['HINCRBYFLOAT', 'H', 'f2', '0.25'],
  ['HMGET', 'H', 'f1', 'nope'], ['HLEN', 'H'], ['HSTRLEN', 'H', 'f1'], ['HDEL', 'H', 'f1', 'nope'], ['HEXISTS', 'H', 'f2'], ['HSETNX', 'H', 'f2', 'x'], ['HGETALL', 'H'],
  ['SADD', 'S1', '1', '2', '3'], ['SADD', 'S2', '2', '3', '4'], ['SCARD', 'S1'], ['SISMEMBER', 'S1', '2'], ['SMISMEMBER', 'S1', '2', '9'], ['SINTERCARD', '2', 'S1', 'S2'],
  ['SINTERSTORE', 'S3', 'S1', 'S2'], ['SDIFFSTORE', 'S4', 'S1', 'S2'], ['SMEMBERS', 'S4'], ['SMOVE', 'S1', 'S2', '1'], ['SREM', 'S1', '2', '3'], ['EXISTS', 'S1'],
  ['ZADD', 'Z', '1', 'a', '2', 'b', '3', 'c', '4', 'd'], ['ZADD', 'Z', 'XX', 'CH', 'GT', '0', 'a', '5', 'b'], ['ZADD', 'Z', 'INCR', '1.5', 'a'], ['ZADD', 'Z', 'NX', 'XX', '1', 'a'],
  ['ZRANGE', 'Z', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'Z', '(1', '+inf', 'BYSCORE', 'LIMIT', '1', '2'], ['ZRANGE', 'Z', '+inf', '-inf', 'BYSCORE', 'REV', 'WITHSCORES'],
  ['ZRANGEBYSCORE', 'Z', '-inf', '3'], ['ZREVRANGEBYSCORE', 'Z', '3', '-inf', 'WITHSCORES'], ['ZREVRANGE', 'Z', '0', '1'], ['ZRANK', 'Z', 'c'], ['ZREVRANK', 'Z', 'c'],
  ['ZCOUNT', 'Z', '(2.5', '5'], ['ZSCORE', 'Z', 'a'], ['ZMSCORE', 'Z', 'a', 'zz'], ['ZINCRBY', 'Z', '-1', 'd'], ['ZCARD', 'Z'], ['ZRANGE', 'Z', '0', '-1', 'LIMIT', '0', '1'],
  ['ZADD', 'ZL', '0', 'a', '0', 'b', '0', 'c', '0', 'd'], ['ZRANGEBYLEX', 'ZL', '[b', '(d'], ['ZREVRANGEBYLEX', 'ZL', '+', '[b'], ['ZLEXCOUNT', 'ZL', '-', '+'], ['ZRANGEBYLEX', 'ZL', 'b', 'd'],
  ['ZREMRANGEBYLEX', 'ZL', '[a', '[b'], ['ZREMRANGEBYRANK', 'Z', '0', '0'], ['ZREMRANGEBYSCORE', 'Z', '5', '5'], ['ZRANGE', 'Z', '0', '-1', 'WITHSCORES'],
  ['ZADD', 'Z2', '10', 'c', '20', 'x'], ['ZUNIONSTORE', 'ZU', '2', 'Z', 'Z2', 'WEIGHTS', '2', '1'], ['ZRANGE', 'ZU', '0', '-1', 'WITHSCORES'],
  ['ZINTER', '2', 'Z', 'Z2', 'AGGREGATE', 'MAX', 'WITHSCORES'], ['ZDIFF', '2', 'Z', 'Z2'], ['ZINTERCARD', '2', 'Z', 'Z2'], ['ZUNION', '2', 'Z', 'S2', 'WITHSCORES'],
  ['ZPOPMIN', 'Z'], ['ZPOPMAX', 'Z', '2'], ['ZRANGESTORE', 'ZS', 'ZU', '0', '1'], ['ZMPOP', '1', 'ZS', 'MAX', 'COUNT', '1'],
  ['PFADD', 'hll', 'a', 'b', 'c', 'a'], ['PFCOUNT', 'hll'], ['PFADD', 'hll2', 'x'], ['PFMERGE', 'hll3', 'hll', 'hll2'], ['PFCOUNT', 'hll3'], ['PFCOUNT', 'hll', 'hll2'],
  ['HSCAN', 'H', '0'], ['SADD', 'SI', '1', '2', '3'], ['SSCAN', 'SI', '0', 'COUNT', '1'], ['ZSCAN', 'Z2', '0', 'COUNT', '1'], ['HSCAN', 'nope', '0'],
  ['TYPE', 'Z'], ['TYPE', 'hll'], ['TYPE', 'nope'], ['RENAME', 'hll', 'hllr'], ['RENAMENX', 'hllr', 'H'], ['RENAME', 'nope', 'x'], ['COPY', 'H', 'H2'], ['HGETALL', 'H2'],
  ['EXPIRE', 'H2', '100'], ['TTL', 'H2'], ['EXPIRE', 'H2', '50', 'GT'], ['EXPIRE', 'H2', '50', 'LT'], ['PERSIST', 'H2'], ['TTL', 'H2'], ['PTTL', 'nope'], ['EXPIRE', 'H2', '10', 'NX', 'XX'],
  ['OBJECT', 'ENCODING', 'k1'], ['OBJECT', 'ENCODING', 'S4'], ['OBJECT', 'ENCODING', 'Z2'], ['OBJECT', 'ENCODING', 'a'],
  ['SORT', 'S2'], ['SORT', 'S2', 'DESC', 'LIMIT', '0', '2'], ['RPUSH', 'srt', 'b', 'a', 'c'], ['SORT', 'srt', 'ALPHA'], ['SORT', 'srt'],
  ['DEL', 'a', 'k1', 'nope'], ['UNLINK', 'k2'], ['DBSIZE'], ['SELECT', '16'], ['SELECT', 'x'], ['MOVE', 'H', '1'], ['SELECT', '1'], ['HGETALL', 'H'], ['SWAPDB', '0', '1'], ['DBSIZE'],
  ['GET'], ['NOSUCH', 'x'], ['CONFIG', 'NOSUCH'], ['LPUSH', 'H', 'x'], ['ZADD', 'Z', 'x', 'a'], ['ZRANGEBYSCORE', 'Z', 'x', '1'], ['HSET', 'H', 'a'],
  ['ECHO', 'hi'], ['PING'], ['PING', 'x'], ['MULTI'], ['SET', 'm', '1'], ['INCR', 'm'], ['EXEC'], ['EXEC'], ['DISCARD'],
  ['MULTI'], ['SET', 'm'], ['EXEC'], ['WATCH', 'm'], ['MULTI'], ['WATCH', 'x'], ['DISCARD'],
  ['HELLO', '3'], ['HGETALL', 'H2'], ['ZRANGE', 'ZU', '0', '-1', 'WITHSCORES'], ['ZSCORE', 'ZU', 'x'], ['SMEMBERS', 'S3'], ['ZPOPMIN', 'ZU'], ['GET', 'nope'],
  ['ZRANDMEMBER', 'nope'], ['LPOP', 'nope', '1'], ['ZADD', 'ZU', 'INCR', '1', 'x'], ['ZRANK', 'ZU', 'x'], ['HELLO', '2'],
];

test('replies are byte-identical to redis-server for a deterministic script', async (t) => {
  if (servers.real === null) {
    requireTool(t, 'redis-server');
    return;
  }
  const [want, got] = await Promise.all([runScript(servers.real.port, SCRIPT), runScript(servers.nimbus.port, SCRIPT)]);
  const diffs: string[] = [];
  SCRIPT.forEach((cmd, i) => {
    // HELLO reports the server's own version and connection id; compare only the protocol field.
    if (cmd[0] === 'HELLO') return;
    if (want[i] !== got[i]) diffs.push(`${cmd.join(' ')}\n  redis:  ${JSON.stringify(want[i])}\n  nimbus: ${JSON.stringify(got[i])}`);
  });
  assert.equal(diffs.length, 0, diffs.join('\n'));
});
