// The differential corpus: library calls whose results lua5.1 and the JS stdlib must agree on.
import type { Arg, Case } from './diff.js';

// prettier-ignore
const SUBJECTS = [
  'hello world',
  '',
  'a,b,,c',
  '  trim me  ',
  'THE (quick) [brown] fox',
  'key:123:abc',
  'x=1, y=22, z=333',
  '\0a\0b',
  'caf\xe9 na\xefve',
  'f(a(b)c)d',
  'aaa',
  '0x1F 42 -7 3.5e2',
];

// prettier-ignore
const PATTERNS = [
  '%a+', '(%a+)', '%d+', '^%s*(.-)%s*$', '(%w+)=(%w+)', '%b()', '%b[]', '%f[%a]%a+', '%f[%A]', '()', '(h)(e)',
  '[%a_][%w_]*', '[^,]*', '.-', 'o', '%.', '[a-c]+', '[%]]', '(%a)%1', '$', '^', '^hello', 'world$', '%s',
  '%S+', '[]]', '[^%s]+', '%u%l+', '%x+', '%p', '%c', '%z', 'a?b', 'l+', 'l-', 'l*', '(a*(.)%w(%s*))',
  '[%w%-]+', '%-?%d+%.?%d*', '[^%z]+', '(.)(.)', '%w+$', '.', '..?', '(()a())', '[a-]', '[-a]', '[^]]',
  'x*', '%((%a+)%)', '[\xe0-\xff]', '(%d)(%d)(%d)',
  // errors
  '%', '[a', '(%a', '%a)', '%1', '%b', '%bx', '%fx', '(()', '%0', '((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))',
  'a\0b', '[%',
];

function patternCases(): Case[] {
  const out: Case[] = [];
  for (const s of SUBJECTS) {
    for (const p of PATTERNS) {
      out.push({ f: 'string.find', args: [s, p] });
      out.push({ f: 'string.match', args: [s, p] });
      out.push({ f: 'gmatch_all', args: [s, p] });
      out.push({ f: 'string.gsub', args: [s, p, '<%0>'] });
    }
  }
  const more: Array<[string, Arg[]]> = [
    ['string.find', ['hello', 'l', -2]],
    ['string.find', ['hello', 'l', 10]],
    ['string.find', ['hello', '', 10]],
    ['string.find', ['hello', '', 6]],
    ['string.find', ['hello', '', -10]],
    ['string.find', ['hello', 'l', 1, true]],
    ['string.find', ['a.b', '.', 1, true]],
    ['string.find', ['a+b', '+', 1, true]],
    ['string.find', ['a+b', 'a+', 1, false]],
    ['string.find', ['a\0b', '\0', 1]],
    ['string.find', ['a\0b', 'b', 1.9]],
    ['string.find', ['abc', 'b', '2']],
    ['string.find', ['abc', 'b', 'x']],
    ['string.find', ['abc']],
    ['string.find', [undefined, 'a']],
    ['string.find', [123, '2']],
    ['string.find', [12.5, '%.']],
    ['string.match', ['hello', '(l)(l)', -3]],
    ['string.match', ['  x', '^%s*()']],
    ['string.match', ['2024-01-05', '(%d+)-(%d+)-(%d+)']],
    ['string.match', [{ t: [] }, 'a']],
    ['string.gsub', ['hello world', 'o', '0', 1]],
    ['string.gsub', ['hello world', 'o', '0', 0]],
    ['string.gsub', ['hello world', 'o', '0', -1]],
    ['string.gsub', ['hello world', '(o)', '%1%1']],
    ['string.gsub', ['hello world', 'o', '%2']],
    ['string.gsub', ['hello world', 'o', '%']],
    ['string.gsub', ['hello world', 'o', '%%']],
    ['string.gsub', ['hello world', 'o', '%x']],
    ['string.gsub', ['hello world', '(o)', '[%0:%1]']],
    ['string.gsub', ['hello world', '()o', '%1']],
    ['string.gsub', ['hello world', '%w+', { fn: 'upper' }]],
    ['string.gsub', ['hello world', '(%w)(%w)', { fn: 'join' }]],
    ['string.gsub', ['hello world', '()(%w+)()', { fn: 'join' }]],
    ['string.gsub', ['hello world', '%w+', { fn: 'nilf' }]],
    ['string.gsub', ['hello world', '%w+', { fn: 'falsef' }]],
    ['string.gsub', ['hello world', '%w+', { fn: 'tablef' }]],
    ['string.gsub', ['hello world', '%w+', { fn: 'numf' }]],
    ['string.gsub', ['hello world', '%w+', { fn: 'errf' }]],
    [
      'string.gsub',
      [
        'hello world',
        '%w+',
        {
          t: [],
          h: [
            ['hello', 'HI'],
            ['world', 7],
          ],
        },
      ],
    ],
    ['string.gsub', ['hello world', '%w+', { t: [], h: [['hello', true]] }]],
    ['string.gsub', ['hello world', '%w+', 5]],
    ['string.gsub', ['hello world', '%w+', 2.5]],
    ['string.gsub', ['hello world', '%w+', true]],
    ['string.gsub', ['hello world', '%w+']],
    ['string.gsub', ['hello world', '%w+', undefined]],
    ['string.gsub', ['abc', '', '-']],
    ['string.gsub', ['abc', '^', '>']],
    ['string.gsub', ['abc', '$', '<']],
    ['string.gsub', ['abc', '^a', '']],
    ['string.gsub', ['abc', 'b*', 'X']],
    ['string.gsub', ['hello', 'l', 'L', '1']],
    ['string.gsub', ['hello', 'l', 'L', 1.7]],
    ['gmatch_all', ['one two  three', '%a+']],
    ['gmatch_all', ['k1=v1;k2=v2', '(%w+)=(%w+)']],
    ['gmatch_all', ['abc', '']],
    ['gmatch_all', ['abc', '^a']],
    ['gmatch_all', ['abc', '()']],
    ['string.gmatch', ['abc']],
    ['string.gfind', ['abc', '.']],
  ];
  for (const [f, args] of more) out.push({ f, args });
  return out;
}

// prettier-ignore
const FORMATS = [
  '%d', '%5d', '%-5d|', '%05d', '%+d', '% d', '%.3d', '%.0d', '%i', '%u', '%x', '%X', '%#x', '%#X', '%#o', '%o',
  '%08.3x', '%c', '%5c', '%-3c|', '%e', '%.0e', '%#.0e', '%10.3e', '%E', '%+.2e', '%f', '%.0f', '%#.0f', '%.2f',
  '%10.4f', '%-10.2f|', '%+f', '% f', '%010.2f', '%.20f', '%.99f', '%g', '%.3g', '%#g', '%G', '%.0g', '%10g', '%-+8.3g|',
  '%.14g', '%.17g', '%#.3g', '%s', '%10s', '%-10s|', '%.2s', '%q', '%5.1s', '%.0s', '%99d', '%.99e',
];

// prettier-ignore
const FORMAT_VALUES: Arg[] = [
  0, -0, 1, -1, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 3.14159, 1e10, 1e21, 1e100, 123456789012, -123.456, 255,
  Infinity, -Infinity, NaN, 2 ** 53, 2 ** 63, -(2 ** 63), 2 ** 64, 1e-5, 1e-310, 0.1, 1 / 3, 9.9999999, 99999.95,
  65, 'str', '10', ' 0x10 ', 'a\0b', 'quote"back\\slash\nnl\rcr\0nul',
];

function formatCases(): Case[] {
  const out: Case[] = [];
  for (const f of FORMATS) for (const v of FORMAT_VALUES) out.push({ f: 'string.format', args: [f, v] });
  const more: Arg[][] = [
    ...[
      1e14,
      -1e14,
      99999999999999,
      123456789012345,
      1e15,
      2 ** 53,
      0.1,
      1 / 3,
      1e100,
      5e-324,
      1e-5,
      0.00012345678901234,
      1234567.8901234567,
      2.5e-7,
      100.00000000000001,
      0.30000000000000004,
    ].map((n): Arg[] => ['%s', n]),
    ['no items'],
    ['%d %s %q', 1, 'two', 'three'],
    ['%d'],
    ['%d', undefined],
    ['%y', 1],
    ['%', 1],
    ['100%%'],
    ['%5', 1],
    ['%------d', 1],
    ['%-----d|', 1],
    ['%123d', 1],
    ['%1.123f', 1],
    ['%.3', 1],
    ['%s %s', 1],
    ['%s', { t: [] }],
    ['%s', true],
    ['%s', 'x'.repeat(150)],
    ['%s', 'y'.repeat(99) + '\0z'],
    ['%.200s', 'x'],
    ['%10.3s|', 'abcdef'],
    ['%q', 1 / 3],
    ['%q', 12],
    ['%c%c%c', 76, 117, 97],
    ['%c', 0],
    ['%5c|', 0],
    ['%c', 256 + 65],
    ['%c', 1e10],
    ['%d', '12abc'],
    ['%d', 3.99],
    ['%d', -3.99],
    ['%x', -1],
    ['%x', -2.5],
    ['%x', 2 ** 63 + 2 ** 62],
    ['%o', 1e300],
    ['%d', 1e300],
    ['%l', 1],
    ['%h', 1],
    ['%n', 1],
    ['%p', 1],
    ['%a', 1],
    ['%F', 1],
    [12],
    [undefined],
  ];
  for (const args of more) out.push({ f: 'string.format', args });
  return out;
}

function basicStringCases(): Case[] {
  const calls: Array<[string, Arg[]]> = [
    ['string.len', ['abc']],
    ['string.len', ['a\0b']],
    ['string.len', [123]],
    ['string.len', []],
    ['string.len', [undefined]],
    ['string.sub', ['hello', 2]],
    ['string.sub', ['hello', 2, 3]],
    ['string.sub', ['hello', -3]],
    ['string.sub', ['hello', -3, -2]],
    ['string.sub', ['hello', 0]],
    ['string.sub', ['hello', 10]],
    ['string.sub', ['hello', -100, 100]],
    ['string.sub', ['hello', 3, 2]],
    ['string.sub', ['hello', 2.7]],
    ['string.sub', ['hello', '2', '3']],
    ['string.sub', ['hello']],
    ['string.sub', ['hello', 'x']],
    ['string.sub', ['hello', 1, undefined]],
    ['string.sub', ['hello', 2 ** 53]],
    ['string.sub', ['hello', NaN]],
    ['string.upper', ['Hello W\xf6rld 123']],
    ['string.lower', ['Hello W\xd6RLD 123']],
    ['string.upper', [12.5]],
    ['string.lower', [true]],
    ['string.rep', ['ab', 3]],
    ['string.rep', ['ab', 0]],
    ['string.rep', ['ab', -1]],
    ['string.rep', ['ab', 2.9]],
    ['string.rep', ['', 1000]],
    ['string.rep', ['ab']],
    ['string.rep', []],
    ['string.rep', ['ab', '3']],
    ['string.rep', ['ab', 'x']],
    ['string.rep', ['ab', 3, ', ']],
    ['string.reverse', ['hello']],
    ['string.reverse', ['']],
    ['string.reverse', ['a\0b\xff']],
    ['string.byte', ['ABC']],
    ['string.byte', ['ABC', 2]],
    ['string.byte', ['ABC', 1, 3]],
    ['string.byte', ['ABC', -1]],
    ['string.byte', ['ABC', 10]],
    ['string.byte', ['ABC', 0]],
    ['string.byte', ['ABC', 3, 1]],
    ['string.byte', ['ABC', -10, 10]],
    ['string.byte', ['\xff\0']],
    ['string.byte', ['', 1]],
    ['string.char', [72, 105]],
    ['string.char', []],
    ['string.char', [256]],
    ['string.char', [-1]],
    ['string.char', [65.7]],
    ['string.char', ['66']],
    ['string.char', [65, 'x']],
    ['string.char', [65, undefined]],
    ['string.char', [0, 255]],
    ['string.dump', ['x']],
    ['string.dump', []],
  ];
  return calls.map(([f, args]) => ({ f, args }));
}

function tableCases(): Case[] {
  const arr = (...v: Arg[]): Arg => ({ t: v });
  const calls: Array<[string, Arg[]]> = [
    ['table.concat', [arr('a', 'b', 'c')]],
    ['table.concat', [arr('a', 'b', 'c'), ', ']],
    ['table.concat', [arr('a', 'b', 'c'), ', ', 2]],
    ['table.concat', [arr('a', 'b', 'c'), ', ', 2, 3]],
    ['table.concat', [arr('a', 'b', 'c'), ', ', 3, 2]],
    ['table.concat', [arr('a', 'b', 'c'), ', ', 1, 5]],
    ['table.concat', [arr(1, 2.5, 'x')]],
    ['table.concat', [arr(1, arr(), 'x')]],
    ['table.concat', [arr(1, true)]],
    ['table.concat', [arr()]],
    ['table.concat', [arr('a'), 5]],
    ['table.concat', [arr('a'), arr()]],
    ['table.concat', ['x']],
    ['table.concat', []],
    ['table.insert', [arr(1, 2, 3), 4]],
    ['table.insert', [arr(1, 2, 3), 1, 0]],
    ['table.insert', [arr(1, 2, 3), 2, 'x']],
    ['table.insert', [arr(1, 2, 3), 4, 'x']],
    ['table.insert', [arr(1, 2, 3), 6, 'x']],
    ['table.insert', [arr(1, 2, 3), 2, undefined]],
    ['table.insert', [arr(1, 2, 3), undefined]],
    ['table.insert', [arr(1, 2, 3), 0, 'x']],
    ['table.insert', [arr(1, 2, 3), -1, 'x']],
    ['table.insert', [arr(1, 2, 3), 'x', 'y']],
    ['table.insert', [arr(1, 2, 3), 2.5, 'y']],
    ['table.insert', [arr(1, 2, 3)]],
    ['table.insert', [arr(1, 2, 3), 1, 2, 3]],
    ['table.insert', [arr(), 'a']],
    ['table.insert', ['x', 1]],
    ['table.insert', [{ t: ['a'], h: [['k', 'v']] }, 'b']],
    ['table.remove', [arr(1, 2, 3)]],
    ['table.remove', [arr(1, 2, 3), 1]],
    ['table.remove', [arr(1, 2, 3), 2]],
    ['table.remove', [arr(1, 2, 3), 3]],
    ['table.remove', [arr(1, 2, 3), 4]],
    ['table.remove', [arr(1, 2, 3), 0]],
    ['table.remove', [arr(1, 2, 3), -1]],
    ['table.remove', [arr()]],
    ['table.remove', [arr(), 1]],
    ['table.remove', [arr(1, 2, 3), 'x']],
    ['table.remove', []],
    ['table.maxn', [arr(1, 2, 3)]],
    [
      'table.maxn',
      [
        {
          t: [1],
          h: [
            [10, 'x'],
            [2.5, 'y'],
            ['k', 1],
            [-5, 1],
          ],
        },
      ],
    ],
    ['table.maxn', [arr()]],
    ['table.maxn', [{ t: [], h: [[-1, 1]] }]],
    ['table.getn', [arr(1, 2, 3)]],
    ['table.getn', [arr()]],
    ['table.getn', ['x']],
    ['table.setn', [arr(1), 5]],
    ['table.setn', ['x', 5]],
    ['table.sort', [arr(3, 1, 2)]],
    ['table.sort', [arr(5, 3, 8, 1, 9, 2, 7, 4, 6, 0, 11, 15, 13, 12, 14, 10)]],
    ['table.sort', [arr('b', 'a', 'c', 'B', 'aa', '', 'a\0')]],
    ['table.sort', [arr(5, 3, 8, 1, 9, 2, 7, 4, 6, 0), { fn: 'gt' }]],
    ['table.sort', [arr('ccc', 'a', 'bb', 'dddd', 'x', 'yy'), { fn: 'bylen' }]],
    [
      'table.sort',
      [
        arr(arr(2, 'a'), arr(1, 'b'), arr(2, 'c'), arr(1, 'd'), arr(2, 'e'), arr(1, 'f'), arr(3, 'g')),
        { fn: 'pair' },
      ],
    ],
    ['table.sort', [arr(3, 1, 2, 5, 4), { fn: 'always' }]],
    ['table.sort', [arr(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), { fn: 'always' }]],
    ['table.sort', [arr(3, 'a', 2)]],
    ['table.sort', [arr(arr(), arr())]],
    ['table.sort', [arr(true, false)]],
    ['table.sort', [arr(3, 1), 'x']],
    ['table.sort', [arr(3, 1), { fn: 'errf' }]],
    ['table.sort', [arr()]],
    ['table.sort', [arr(1)]],
    ['table.sort', [arr(2, 1)]],
    ['table.sort', [arr(3, 2, 1)]],
    ['table.sort', [arr(1, 1, 1, 1, 1)]],
    ['table.sort', ['x']],
    ['table.foreachi', [arr('a', 'b'), { fn: 'nilf' }]],
    ['table.foreachi', [arr('a', 'b'), { fn: 'join' }]],
    ['table.foreach', [arr('a', 'b'), { fn: 'join' }]],
    ['table.foreach', [arr('a'), 'x']],
  ];
  return calls.map(([f, args]) => ({ f, args }));
}

function mathCases(): Case[] {
  const out: Case[] = [];
  const values: Arg[] = [
    0,
    -0,
    1,
    -1,
    0.5,
    -0.5,
    1.5,
    -2.5,
    2.5,
    3.7,
    -3.7,
    100,
    1e300,
    -1e-300,
    5e-324,
    Infinity,
    -Infinity,
    NaN,
    '4',
    'x',
  ];
  const exact = ['abs', 'ceil', 'floor', 'sqrt', 'modf', 'frexp', 'deg', 'rad'];
  const approx = ['sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'exp', 'log', 'log10'];
  for (const f of exact) for (const v of values) out.push({ f: `math.${f}`, args: [v] });
  for (const f of approx) for (const v of values) out.push({ f: `math.${f}`, args: [v], tol: true });
  const pairs: Array<[Arg, Arg]> = [
    [7, 3],
    [-7, 3],
    [7, -3],
    [7.5, 2],
    [1, 0],
    [0, 0],
    [Infinity, 2],
    [2, Infinity],
    [-1, Infinity],
    [1, NaN],
    [NaN, 0],
    [2, 10],
    [2, -1],
    [-8, 1 / 3],
    [0, -1],
    [10, 0.5],
    [3, 1024],
    [0.5, -1080],
    [1, -1075],
    ['2', '3'],
  ];
  for (const [a, b] of pairs) {
    out.push({ f: 'math.fmod', args: [a, b] });
    out.push({ f: 'math.pow', args: [a, b], tol: true });
    out.push({ f: 'math.atan2', args: [a, b], tol: true });
    out.push({ f: 'math.ldexp', args: [a, b] });
    out.push({ f: 'math.max', args: [a, b] });
    out.push({ f: 'math.min', args: [a, b] });
    out.push({ f: 'math.mod', args: [a, b] });
  }
  const more: Array<[string, Arg[]]> = [
    ['math.max', [1, 5, 3, 9, 2]],
    ['math.min', [4, -2, 8]],
    ['math.max', []],
    ['math.min', [1, 'x']],
    ['math.max', [NaN, 1]],
    ['math.max', [1, NaN]],
    ['math.abs', []],
    ['math.floor', [undefined]],
    ['math.fmod', [1]],
    ['math.ldexp', [1, 2.9]],
    ['math.ldexp', [1, -2.9]],
    ['math.ldexp', [0.75, 1024]],
    ['math.ldexp', [1.5, -1074]],
    ['math.frexp', [1024]],
    ['math.frexp', [-3e-320]],
    ['math.random', [0]],
    ['math.random', [5, 1]],
    ['math.random', [1, 2, 3]],
    ['math.random', ['x']],
    ['math.randomseed', []],
  ];
  for (const [f, args] of more) out.push({ f, args });
  return out;
}

function tostringCases(): Case[] {
  const rnd = prng(3);
  const values: Arg[] = [
    undefined,
    true,
    false,
    'str',
    0,
    -0,
    1,
    -1,
    0.1,
    1 / 3,
    2 / 3,
    1e14,
    1e15,
    1e16,
    99999999999999,
    123456789012345.6,
    2 ** 53,
    2 ** 63,
    1e-4,
    1e-5,
    123.456,
    1e300,
    5e-324,
    Infinity,
    -Infinity,
    NaN,
    0.5,
    2.5e-10,
  ];
  for (let i = 0; i < 300; i++) values.push(randomNumber(rnd));
  return values.map((v) => ({ f: 'tostring', args: [v] }));
}

/** Every case of the lua5.1 differential test. */
export function stdlibCorpus(): Case[] {
  return [
    ...patternCases(),
    ...formatCases(),
    ...basicStringCases(),
    ...tableCases(),
    ...mathCases(),
    ...tostringCases(),
  ];
}

// ---- generated cases (fixed seed, so failures reproduce) -----------------------------------------

const PATTERN_TOKENS = [
  'a',
  'b',
  '.',
  '%a',
  '%d',
  '%s',
  '%w',
  '%p',
  '[ab]',
  '[^a]',
  '[a-c]',
  '[%d(]',
  '*',
  '+',
  '-',
  '?',
  '(',
  ')',
  '()',
  '%b()',
  '%f[%w]',
  '%f[%s]',
  '^',
  '$',
  '%1',
  '%2',
  '%%',
  '%',
  ' ',
];
const SUBJECT_CHARS = ['a', 'b', 'c', '(', ')', ' ', '1', '2', '%', '\0', '\xe9'];

/** A small deterministic PRNG (mulberry32), so the generated corpus is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

function randomString(rnd: () => number, alphabet: readonly string[], maxLen: number): string {
  const n = Math.floor(rnd() * (maxLen + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += pick(rnd, alphabet);
  return s;
}

/** Random patterns over short subjects: find, match and gsub. */
export function generatedPatternCases(n: number, seed = 1): Case[] {
  const rnd = prng(seed);
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const s = randomString(rnd, SUBJECT_CHARS, 10);
    const p = randomString(rnd, PATTERN_TOKENS, 6);
    out.push({ f: 'string.find', args: [s, p] });
    out.push({ f: 'string.match', args: [s, p, Math.floor(rnd() * 5) - 2] });
    out.push({ f: 'string.gsub', args: [s, p, pick(rnd, ['<%0>', '%1', 'x', '%%'])] });
  }
  return out;
}

function randomNumber(rnd: () => number): number {
  const kind = Math.floor(rnd() * 8);
  const sign = rnd() < 0.3 ? -1 : 1;
  switch (kind) {
    case 0:
      return sign * Math.floor(rnd() * 1000);
    case 1:
      return (sign * Math.floor(rnd() * 4000)) / 8; // exact binary fractions: rounding ties
    case 2:
      return (sign * Math.floor(rnd() * 100000)) / 1000;
    case 3:
      return sign * rnd() * 10 ** Math.floor(rnd() * 40 - 20);
    case 4:
      return sign * 2 ** Math.floor(rnd() * 70);
    case 5:
      return sign * Math.floor(rnd() * 2 ** 53);
    case 6:
      return sign * 5 * 10 ** Math.floor(rnd() * 30 - 15);
    default:
      return sign * (Math.floor(rnd() * 100) + 0.5);
  }
}

/** Random printf specs and numbers. */
export function generatedFormatCases(n: number, seed = 2): Case[] {
  const rnd = prng(seed);
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    let spec = '%';
    for (const f of ['-', '+', ' ', '#', '0']) if (rnd() < 0.15) spec += f;
    if (rnd() < 0.4) spec += String(Math.floor(rnd() * 30));
    if (rnd() < 0.6) spec += '.' + (rnd() < 0.8 ? String(Math.floor(rnd() * 25)) : '');
    spec += pick(rnd, ['d', 'i', 'o', 'u', 'x', 'X', 'e', 'E', 'f', 'g', 'G', 'c', 's', 'q']);
    out.push({ f: 'string.format', args: [`[${spec}]`, randomNumber(rnd)] });
  }
  return out;
}
