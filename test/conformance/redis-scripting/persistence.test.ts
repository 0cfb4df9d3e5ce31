// Proves scripts, functions and streams survive a restart through the AOF: a script's writes are
// logged as its effects wrapped in MULTI/EXEC (not as EVAL), FUNCTION LOAD is logged and
// replayed, and XADD / XREADGROUP leave the same entries, group position and PEL after replay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis } from './harness.js';

function aofText(dir: string): string {
  const aofDir = join(dir, 'appendonlydir');
  return readdirSync(aofDir)
    .filter((f) => f.includes('.incr.'))
    .map((f) => readFileSync(join(aofDir, f), 'latin1'))
    .join('');
}

test('AOF: script effects in MULTI/EXEC, functions and streams replay after restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-r3-aof-'));
  try {
    const first = await startRedis({ appendonly: true, appendfsync: 'always' }, dir);
    const io = new Redis({ port: first.port });
    await io.eval(
      "redis.call('set', KEYS[1], ARGV[1]) redis.call('incrby', KEYS[2], 5) return 1",
      2,
      'sk',
      'cnt',
      'val',
    );
    await io.eval("return redis.call('get', KEYS[1])", 1, 'sk'); // read-only: logs nothing
    await io.call(
      'FUNCTION',
      'LOAD',
      "#!lua name=lib\nredis.register_function('bump', function(k) return redis.call('incr', k[1]) end)",
    );
    await io.call('FCALL', 'bump', '1', 'fc');
    await io.xadd('st', '1-0', 'a', '1');
    await io.xadd('st', '2-0', 'a', '2');
    await io.xgroup('CREATE', 'st', 'g', '0');
    await io.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 1, 'STREAMS', 'st', '>');
    io.disconnect();
    await first.close();

    const log = aofText(dir);
    assert.match(
      log,
      /\*1\r\n\$5\r\nMULTI\r\n\*3\r\n\$3\r\nset\r\n\$2\r\nsk\r\n\$3\r\nval\r\n\*3\r\n\$6\r\nincrby\r\n\$3\r\ncnt\r\n\$1\r\n5\r\n\*1\r\n\$4\r\nEXEC\r\n/i,
    );
    assert.doesNotMatch(log, /EVAL/i);
    assert.match(log, /FUNCTION\r\n\$4\r\nLOAD/i);

    const second = await startRedis({ appendonly: true, appendfsync: 'always' }, dir);
    const io2 = new Redis({ port: second.port });
    try {
      assert.equal(await io2.get('sk'), 'val');
      assert.equal(await io2.get('cnt'), '5');
      assert.equal(await io2.get('fc'), '1');
      assert.equal(await io2.call('FCALL', 'bump', '1', 'fc'), 2);
      assert.deepEqual(
        (await io2.xrange('st', '-', '+')).map(([id]) => id),
        ['1-0', '2-0'],
      );
      assert.deepEqual(await io2.xpending('st', 'g'), [1, '1-0', '1-0', [['alice', '1']]]);
      const next = (await io2.xreadgroup('GROUP', 'g', 'bob', 'STREAMS', 'st', '>')) as Array<
        [string, Array<[string, string[]]>]
      >;
      assert.deepEqual(
        next[0]?.[1].map(([id]) => id),
        ['2-0'],
      );
    } finally {
      io2.disconnect();
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
