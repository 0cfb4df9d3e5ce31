/**
 * Proves, for every request, response and header schema and every valid version, that
 * decode(encode(x)) = x for arbitrary messages built from the schema (absent fields hold their
 * defaults), and that any bytes fed to any decoder only ever throw KafkaProtocolError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KafkaProtocolError } from './errors.js';
import { MESSAGE_CODECS, MESSAGE_SCHEMAS, type FieldSchema } from './messages.generated.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';
import { EMPTY_BUFFER, ZERO_UUID } from './types.js';

const inRange = (r: [number, number] | null | undefined, v: number): boolean => !!r && v >= r[0] && v <= r[1];

function evalDefault(f: FieldSchema): unknown {
  const d = f.def;
  if (d === undefined) return undefined;
  if (d === 'null') return null;
  if (d === '[]') return [];
  if (d === 'ZERO_UUID') return ZERO_UUID;
  if (d === 'EMPTY_BUFFER') return EMPTY_BUFFER;
  if (d === 'true' || d === 'false') return d === 'true';
  if (d.endsWith('n')) return BigInt(d.slice(0, -1));
  if (d.startsWith('"')) return JSON.parse(d) as string;
  return Number(d);
}

function defaultStruct(fields: FieldSchema[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    const d = evalDefault(f);
    if (d !== undefined) o[f.name] = d;
    else if (f.type === '[]struct') o[f.name] = [];
    else if (f.type === 'struct') o[f.name] = defaultStruct(f.fields ?? []);
    else throw new Error(`no default for ${f.name}`);
  }
  return o;
}

function primArb(t: string): fc.Arbitrary<unknown> {
  switch (t) {
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double();
    case 'bool':
      return fc.boolean();
    case 'uuid':
      return fc.uuid();
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 8 });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 12 }).map((u) => Buffer.from(u));
    default:
      throw new Error(`no arbitrary for ${t}`);
  }
}

function structArb(fields: FieldSchema[], v: number): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) {
    if (!inRange(f.versions, v)) {
      parts[f.name] = fc.constant(defaultOf(f));
      continue;
    }
    let a: fc.Arbitrary<unknown>;
    if (f.type === '[]struct') a = fc.array(structArb(f.fields ?? [], v), { maxLength: 2 });
    else if (f.type === 'struct') a = structArb(f.fields ?? [], v);
    else if (f.type.startsWith('[]')) a = fc.array(primArb(f.type.slice(2)), { maxLength: 3 });
    else a = primArb(f.type);
    parts[f.name] = inRange(f.nullable, v) ? fc.option(a, { nil: null }) : a;
  }
  return fc.record(parts).map((o) => ({ ...o }));
}

function defaultOf(f: FieldSchema): unknown {
  const d = evalDefault(f);
  if (d !== undefined) return d;
  if (f.type === 'struct') return defaultStruct(f.fields ?? []);
  return [];
}

test('every message round-trips at every version', () => {
  let cases = 0;
  for (const s of MESSAGE_SCHEMAS) {
    const codec = MESSAGE_CODECS.get(s.name)!;
    for (let v = s.valid[0]; v <= s.valid[1]; v++) {
      fc.assert(
        fc.property(structArb(s.fields, v), (msg) => {
          const w = new Writer();
          codec.write(w, v, msg);
          const buf = w.toBuffer();
          const r = new Reader(buf);
          const back = codec.read(r, v);
          assert.deepStrictEqual(back, msg, `${s.name} v${v}`);
          assert.equal(r.pos, buf.length, `${s.name} v${v} consumed everything`);
        }),
        { numRuns: 8 },
      );
      cases++;
    }
  }
  assert.ok(cases > 500, `only ${cases} message versions`);
});

test('arbitrary and mutated bytes only ever throw KafkaProtocolError', () => {
  const schemas = MESSAGE_SCHEMAS.filter((s) => s.kind === 'request' || s.kind === 'response');
  const pick = fc.integer({ min: 0, max: schemas.length - 1 }).chain((i) => {
    const s = schemas[i]!;
    return fc.tuple(fc.constant(s), fc.integer({ min: s.valid[0], max: s.valid[1] }));
  });
  const check = (name: string, v: number, bytes: Buffer): void => {
    try {
      MESSAGE_CODECS.get(name)!.read(new Reader(bytes), v);
    } catch (e) {
      if (!(e instanceof KafkaProtocolError)) throw e;
    }
  };
  fc.assert(
    fc.property(pick, fc.uint8Array({ maxLength: 64 }), ([s, v], u) => check(s.name, v, Buffer.from(u))),
    { numRuns: 3000 },
  );
  // Mutations of valid encodings reach deeper into the decoders than random bytes do.
  fc.assert(
    fc.property(
      pick.chain(([s, v]) => fc.tuple(fc.constant(s), fc.constant(v), structArb(s.fields, v))),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      ([s, v, msg], flips, cut) => {
        const w = new Writer();
        MESSAGE_CODECS.get(s.name)!.write(w, v, msg);
        const buf = Buffer.from(w.toBuffer());
        if (buf.length === 0) return;
        for (const [at, b] of flips) buf[at % buf.length] = b;
        check(s.name, v, buf);
        check(s.name, v, buf.subarray(0, cut % (buf.length + 1)));
      },
    ),
    { numRuns: 3000 },
  );
});
