// Calls of the Redis libraries (cjson, cmsgpack, bit, struct) whose results the luajs ports and
// the fengari versions in ../../libs must agree on. Library settings (cjson.encode_* setters)
// are left alone here: the fengari engine keeps them across scripts.
import type { Arg, Case } from './diff.js';

const arr = (...v: Arg[]): Arg => ({ t: v });
const obj = (...h: Array<[Arg, Arg]>): Arg => ({ t: [], h });
const NULL: Arg = { ud: 'cjson.null' };

const ENCODE_VALUES: Arg[] = [
  1,
  -1,
  0,
  -0,
  1.5,
  0.1,
  1 / 3,
  1e20,
  1e21,
  2 ** 53,
  -123.456e-10,
  3.25,
  Infinity,
  NaN,
  'plain',
  '',
  'quote" back\\ slash/ nl\n tab\t cr\r ff\f bs\b nul\0 del\x7f high\xe9\xff',
  true,
  false,
  undefined,
  NULL,
  arr(),
  arr(1, 2, 3),
  arr('a', arr('b', arr('c'))),
  obj(['a', 1]),
  obj(['a', obj(['b', '\n'])]),
  obj([1, 'x'], [2, 'y'], [3, 'z']),
  obj([1, 1], [100, 2]),
  obj([1, 1], [10, 2]),
  obj([1, 1], [11, 2]),
  obj([1, 1], [2, 2], [4, 4], [8, 8], [16, 16]),
  obj([1.5, 'x']),
  obj([-1, 'x']),
  obj([0, 'x']),
  obj([true, 'x']),
  obj(['k', { fn: 'upper' }]),
  { fn: 'upper' },
  arr(1, NULL, 3),
  obj(['n', NaN]),
  { t: ['a', 'b'], h: [['k', 'v']] },
];

const DECODE_INPUTS = [
  '{"a":"x","b":[1,2.5],"c":null,"d":"\\u00e9\\ud83d\\ude00"}',
  '[]',
  '{}',
  '[1,[2,[3,[4]]]]',
  '"str"',
  '12',
  '-0',
  '1e400',
  '-1.5e-3',
  '0x1F',
  'nan',
  'NaN',
  'true',
  'false',
  'null',
  ' [ 1 , 2 ] ',
  '{"a":1,"a":2}',
  '{"1":"x"}',
  '[1,null,3]',
  '"\\b\\f\\n\\r\\t\\/\\\\\\""',
  '"\\u0000"',
  '"\\u12"',
  '"\\ud800"',
  '"\\ud800\\u0041"',
  '"\\x"',
  '{"a":',
  '[1] x',
  '[1,]',
  '{,}',
  '{"a" 1}',
  '{1:2}',
  '[',
  ']',
  '',
  '   ',
  '01',
  '1.',
  '.5',
  '+1',
  '-',
  '1e',
  'tru',
  'nul',
  '"abc',
  '"a\xe9b"',
  '[1 2]',
  '{"a":1 "b":2}',
  '\0',
  '['.repeat(1100),
  '['.repeat(999) + ']'.repeat(999),
  '"' + 'x'.repeat(300) + '"',
];

// NaN is left out: its float32 bytes carry the sign of whichever NaN the engine produced.
const MSGPACK_VALUES: Arg[] = [
  0,
  1,
  127,
  128,
  255,
  256,
  65535,
  65536,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53,
  -1,
  -32,
  -33,
  -128,
  -129,
  -32768,
  -32769,
  -(2 ** 31),
  -(2 ** 31) - 1,
  -(2 ** 53),
  1.5,
  0.1,
  -0,
  Infinity,
  1e300,
  2 ** 63,
  '',
  'abc',
  'x'.repeat(31),
  'x'.repeat(32),
  'y'.repeat(255),
  'y'.repeat(256),
  'z'.repeat(70000),
  true,
  false,
  undefined,
  arr(),
  arr(1, 2),
  obj(['a', true]),
  arr(1, arr(2, arr(3))),
  obj([1, 'a'], [3, 'c']),
  { fn: 'upper' },
  NULL,
  arr(...Array.from({ length: 20 }, (_, i) => i)),
  { t: [1], h: [['k', arr('v')]] },
];

const MSGPACK_BYTES = [
  '\x01',
  '\xff',
  '\xcd\x01\x2c',
  '\xca\x3f\xc0\x00\x00',
  '\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a',
  '\xa3abc',
  '\x92\x01\x02',
  '\x81\xa1a\xc3',
  '\x90',
  '\x80',
  '\x01\x02\x03',
  '\xdc\x00\x05',
  '\xc1',
  '\xc0\xc2\xc3',
  '\xd9\x03abc',
  '\xc4\x02hi',
  '\xcf\x00\x00\x00\x01\x00\x00\x00\x00',
  '\xd3\xff\xff\xff\xff\xff\xff\xff\xff',
  '\x82\xc0\x01',
  '\x81\xa1a',
  '\x91',
  '\xdd\x00\x00\x00\x02\x01\x02',
  '\xde\x00\x01\x01\x02',
  '',
  '\xa5ab',
  '\x93\x01\xc0\x03',
  '\x92\x92\x01',
  '\x91'.repeat(1100) + '\x01',
];

function cjsonCases(): Case[] {
  const out: Case[] = [];
  for (const v of ENCODE_VALUES) out.push({ f: 'cjson.encode', args: [v] });
  for (const s of DECODE_INPUTS) out.push({ f: 'cjson.decode', args: [s] });
  out.push({ f: 'cjson.encode', args: [] }, { f: 'cjson.encode', args: [1, 2] });
  out.push({ f: 'cjson.decode', args: [] }, { f: 'cjson.decode', args: [{ t: [] }] });
  out.push({ f: 'cjson.encode_keep_buffer', args: [] });
  return out;
}

function cmsgpackCases(): Case[] {
  const out: Case[] = [];
  for (const v of MSGPACK_VALUES) out.push({ f: 'cmsgpack.pack', args: [v] });
  out.push({ f: 'cmsgpack.pack', args: [1, 'x', arr(5, obj(['y', 2]))] }, { f: 'cmsgpack.pack', args: [] });
  for (const b of MSGPACK_BYTES) {
    out.push({ f: 'cmsgpack.unpack', args: [b] });
    out.push({ f: 'cmsgpack.unpack_one', args: [b] });
    out.push({ f: 'cmsgpack.unpack_one', args: [b, 1] });
    out.push({ f: 'cmsgpack.unpack_limit', args: [b, 2] });
    out.push({ f: 'cmsgpack.unpack_limit', args: [b, 1, 2] });
  }
  out.push({ f: 'cmsgpack.unpack_one', args: ['\x01', 5] }, { f: 'cmsgpack.unpack_one', args: ['\x01', -1] });
  out.push({ f: 'cmsgpack.unpack', args: [] }, { f: 'cmsgpack.unpack_limit', args: ['\x01'] });
  return out;
}

function bitCases(): Case[] {
  const out: Case[] = [];
  const ints: Arg[] = [
    0,
    1,
    -1,
    0xff,
    0x12345678,
    2 ** 31,
    2 ** 32,
    2 ** 32 + 5,
    -(2 ** 31),
    2 ** 40 + 3,
    '16',
  ];
  for (const f of ['tobit', 'bnot', 'bswap', 'tohex'])
    for (const v of ints) out.push({ f: `bit.${f}`, args: [v] });
  for (const f of ['band', 'bor', 'bxor', 'lshift', 'rshift', 'arshift', 'rol', 'ror'])
    for (const [a, b] of [
      [0xff, 0x0f],
      [-1, 28],
      [0x12345678, 8],
      [1, 31],
      [-16, 2],
      [7, 33],
      [5, -1],
    ] as Array<[number, number]>)
      out.push({ f: `bit.${f}`, args: [a, b] });
  out.push(
    { f: 'bit.bor', args: [1, 2, 4, 8] },
    { f: 'bit.band', args: [] },
    { f: 'bit.band', args: [1, 'x'] },
    { f: 'bit.tohex', args: [255, -2] },
    { f: 'bit.tohex', args: [255, 2] },
    { f: 'bit.tohex', args: [255, 20] },
    { f: 'bit.tohex', args: [255, 0] },
    { f: 'bit.tobit', args: [] },
  );
  return out;
}

function structCases(): Case[] {
  const out: Case[] = [];
  const packs: Arg[][] = [
    ['>I2', 258],
    ['<i4', -2],
    ['!4 b i4', 1, 2],
    ['>hBsc2', -5, 200, 'ab', 'xy'],
    ['b c0', 3, 'abc'],
    ['<d', 2.5],
    ['>f', 1.5],
    ['i8', 2 ** 40],
    ['I3', 70000],
    ['l L T', -1, 5, 6],
    ['x b', 7],
    ['c3', 'ab'],
    ['s', 'a\0b'],
    ['=H', 65535],
    ['!2 b h', 1, 2],
    ['!3 i', 1],
    ['q', 1],
    ['i33', 1],
    ['i', 'x'],
    ['i'],
    ['c', 5],
    ['>i16', -3],
  ];
  for (const args of packs) out.push({ f: 'struct.pack', args });
  const unpacks: Arg[][] = [
    ['>I2', '\x01\x02'],
    ['<i4', '\xfe\xff\xff\xff'],
    ['>i4', 'ab'],
    ['b c0', '\x03abc'],
    ['s', 'ab\0cd'],
    ['s', 'abc'],
    ['c0', 'abc'],
    ['>h', '\xff\xfe\x00', 2],
    ['b', 'ab', 3],
    ['b', 'ab', 4],
    ['b', 'ab', 0],
    ['<d', '\x00\x00\x00\x00\x00\x00\x04\x40'],
    ['>f', '\x3f\xc0\x00\x00'],
    ['!4 b i4', '\x01\0\0\0\x02\0\0\0'],
    ['x x b', '\x01\x02\x03'],
    ['I8', '\xff\xff\xff\xff\xff\xff\xff\xff'],
    ['i8', '\xff\xff\xff\xff\xff\xff\xff\xff'],
  ];
  for (const args of unpacks) out.push({ f: 'struct.unpack', args });
  for (const f of ['>i4hd', 'b', '!8 b d', 's', 'c0', 'c5', 'i3 !4 i', 'q'])
    out.push({ f: 'struct.size', args: [f] });
  return out;
}

export function portsCorpus(): Case[] {
  return [...cjsonCases(), ...cmsgpackCases(), ...bitCases(), ...structCases()];
}
