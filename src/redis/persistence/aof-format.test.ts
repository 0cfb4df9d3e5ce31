/**
 * Proves: the manifest parser reads Redis 7's exact syntax and round-trips ours; the RESP command
 * codec round-trips, returns "need more" for every proper prefix, and arbitrary bytes or text only
 * ever give AofFormatError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeCommand, formatManifest, parseCommand, parseManifest } from './aof-format.js';
import { AofFormatError } from './errors.js';

test('parses a manifest as redis-server 7 writes it', () => {
  const text =
    'file appendonly.aof.3.base.rdb seq 3 type b\n' +
    'file appendonly.aof.2.incr.aof seq 2 type h\n' +
    'file appendonly.aof.5.incr.aof seq 5 type i\n' +
    'file appendonly.aof.6.incr.aof seq 6 type i\n';
  const m = parseManifest(text);
  assert.deepEqual(m.base, { name: 'appendonly.aof.3.base.rdb', seq: 3, type: 'b' });
  assert.equal(m.history.length, 1);
  assert.deepEqual(
    m.incr.map((f) => f.seq),
    [5, 6],
  );
  assert.equal(formatManifest(m), text);
  // key order is free, comments are skipped
  assert.deepEqual(parseManifest('# hi\nseq 1 type i file "a b.aof"\n').incr[0], {
    name: 'a b.aof',
    seq: 1,
    type: 'i',
  });
});

test('manifest errors are typed', () => {
  for (const bad of [
    'file x seq 1\n',
    'file x seq 0 type i\n',
    'file ../x seq 1 type i\n',
    'file x seq 1 type z\n',
    'file a seq 1 type b\nfile b seq 2 type b\n',
    'file a seq 2 type i\nfile b seq 1 type i\n',
    'file "x seq 1 type i\n',
  ]) {
    assert.throws(() => parseManifest(bad), AofFormatError, bad);
  }
});

test('property: command codec round-trips and every proper prefix needs more', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 30 }), { minLength: 1, maxLength: 6 }), (args) => {
      const argv = args.map((a) => Buffer.from(a));
      const enc = encodeCommand(argv);
      assert.deepEqual(parseCommand(enc, 0, enc.length), { argv, next: enc.length });
      for (let cut = 0; cut < enc.length; cut++) assert.equal(parseCommand(enc, 0, cut), null);
    }),
    { numRuns: 300 },
  );
});

test('fuzz: arbitrary bytes and text give AofFormatError or need-more, never another error', () => {
  const typed = (fn: () => unknown): void => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof AofFormatError)) throw e;
    }
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), fc.string({ maxLength: 200 }), (u, s) => {
      const b = Buffer.from(u);
      typed(() => {
        for (let r = parseCommand(b, 0, b.length); r; r = parseCommand(b, r.next, b.length));
      });
      typed(() => parseManifest(s));
      typed(() => parseManifest(`file ${s} seq 1 type i`));
    }),
    { numRuns: 1000 },
  );
});
