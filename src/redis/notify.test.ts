// notify-keyspace-events parsing and formatting (keyspaceEventsStringToFlags / FlagsToString).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  NOTIFY_ALL,
  NOTIFY_KEY_MISS,
  NOTIFY_KEYEVENT,
  NOTIFY_KEYSPACE,
  NOTIFY_NEW,
  notifyFlagsFromString,
  notifyFlagsToString,
} from './notify.js';

const CLASSES = 'KEg$lshzxetmdnA';

test('known forms, including Redis quirks', () => {
  assert.equal(notifyFlagsFromString(''), 0);
  assert.equal(notifyFlagsFromString('KEA'), NOTIFY_KEYSPACE | NOTIFY_KEYEVENT | NOTIFY_ALL);
  assert.equal(notifyFlagsToString(notifyFlagsFromString('Kg$lshzxetd') as number), 'AK');
  // 'n' and 'm' are outside A; 'n' is printed only without A (as Redis 7 prints it).
  assert.equal(notifyFlagsToString(notifyFlagsFromString('AKEn') as number), 'AKE');
  assert.equal(notifyFlagsToString(notifyFlagsFromString('mEnK') as number), 'nKEm');
  assert.equal(notifyFlagsFromString('KEx?'), null);
  assert.equal(notifyFlagsFromString('a'), null);
});

test('any class string round-trips through the printed form (but n under A)', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...CLASSES)), (chars) => {
      const flags = notifyFlagsFromString(chars.join('')) as number;
      assert.notEqual(flags, null);
      const printed = notifyFlagsToString(flags);
      const expected = (flags & NOTIFY_ALL) === NOTIFY_ALL ? flags & ~NOTIFY_NEW : flags;
      assert.equal(notifyFlagsFromString(printed), expected);
      assert.equal((flags & NOTIFY_KEY_MISS) !== 0, printed.endsWith('m'));
    }),
  );
});

test('any string with a character outside the classes is rejected', () => {
  fc.assert(
    fc.property(fc.string(), fc.string({ minLength: 1, maxLength: 1 }), fc.string(), (a, bad, b) => {
      fc.pre(!CLASSES.includes(bad));
      assert.equal(notifyFlagsFromString(a + bad + b), null);
    }),
  );
});
