/**
 * Generates the Kafka codecs from Apache Kafka's message schemas (../shared/specs/kafka-messages/
 * *.json, which begin with `//` comment lines), in src/kafka/protocol/:
 *   - messages/<api>.generated.ts: one module per API (request, response, its ApiCodec), and
 *     messages/header.generated.ts (request and response headers);
 *   - api-table.generated.ts: ApiKey and, per API, its versions and a loader of its module. The
 *     broker imports only this and the header at start, and each API's module on its first
 *     request: parsing all of them (1.25 MB) was about 50 ms of a 300 ms start;
 *   - messages.generated.ts: everything re-exported, plus API_CODECS, for tests, tools, the CLI.
 *
 * For every request, response and header it emits, like Kafka's own Java generator:
 *   - a TypeScript interface per struct (fields present in any version; absent ones hold defaults),
 *   - one read function and one write function per struct taking the version as a parameter, with
 *     per-version field presence, nullability, flexible (compact) encodings and tagged fields,
 *   - a descriptor table (`MESSAGE_SCHEMAS`) used by the registry and by the property tests.
 * The generated readers are straight-line code: nesting depth is fixed by the schemas (checked
 * below against NESTING_DEPTH_MAX), so no input can drive recursion.
 *
 * Usage: npx tsx scripts/gen-kafka-messages.ts [specDir] [outFile]
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const specDir = resolve(process.argv[2] ?? join(process.cwd(), '..', 'shared', 'specs', 'kafka-messages'));
const outFile = resolve(
  process.argv[3] ?? join(process.cwd(), 'src', 'kafka', 'protocol', 'messages.generated.ts'),
);
/** Deepest struct nesting the generated code may have; the schemas use 4 today. */
const NESTING_DEPTH_MAX = 8;

interface FieldSpec {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string;
  flexibleVersions?: string;
  fields?: FieldSpec[];
}
interface MessageSpec {
  apiKey?: number;
  type: 'request' | 'response' | 'header' | 'data' | 'metadata';
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: FieldSpec[];
  commonStructs?: { name: string; versions?: string; fields: FieldSpec[] }[];
}
/** Version range [min, max]; null = none. */
type Range = [number, number] | null;
const VERSION_MAX = 0x7fff;

function parseRange(s: string | undefined): Range {
  if (s === undefined || s === 'none') return null;
  const plus = /^(\d+)\+$/.exec(s);
  if (plus) return [Number(plus[1]), VERSION_MAX];
  const span = /^(\d+)-(\d+)$/.exec(s);
  if (span) return [Number(span[1]), Number(span[2])];
  if (/^\d+$/.test(s)) return [Number(s), Number(s)];
  throw new Error(`bad version range ${s}`);
}
function cond(r: Range, v = 'v'): string {
  if (!r) return 'false';
  const [a, b] = r;
  const parts: string[] = [];
  if (a > 0) parts.push(`${v} >= ${a}`);
  if (b < VERSION_MAX) parts.push(`${v} <= ${b}`);
  return parts.length ? parts.join(' && ') : 'true';
}
function intersect(a: Range, b: Range): Range {
  if (!a || !b) return null;
  const lo = Math.max(a[0], b[0]);
  const hi = Math.min(a[1], b[1]);
  return lo <= hi ? [lo, hi] : null;
}
function stripComments(text: string): string {
  // Comments are whole lines or trailing after JSON; strings in the schemas never contain `//`
  // except in "about" texts with URLs, so only strip `//` that is not inside a string.
  return text
    .split('\n')
    .map((line) => {
      let inStr = false;
      for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (c === '\\') i++;
        else if (c === '"') inStr = !inStr;
        else if (!inStr && c === '/' && line[i + 1] === '/') return line.slice(0, i);
      }
      return line;
    })
    .join('\n');
}
const camel = (s: string): string => s[0]!.toLowerCase() + s.slice(1);
const PRIMS = new Set([
  'int8',
  'int16',
  'uint16',
  'int32',
  'int64',
  'float64',
  'bool',
  'string',
  'uuid',
  'bytes',
  'records',
]);

interface StructDef {
  tsName: string;
  fields: FieldSpec[];
  depth: number;
}

class MessageGen {
  readonly structs: StructDef[] = [];
  readonly common = new Map<string, FieldSpec[]>();
  readonly valid: [number, number];
  readonly flexible: Range;
  constructor(readonly spec: MessageSpec) {
    for (const c of spec.commonStructs ?? []) this.common.set(c.name, c.fields);
    this.valid = parseRange(spec.validVersions)!;
    this.flexible = parseRange(spec.flexibleVersions);
    this.collect(spec.name, spec.fields, 1);
  }
  private structName(t: string): string {
    return `${this.spec.name}${t}`;
  }
  private collect(tsName: string, fields: FieldSpec[], depth: number): void {
    if (depth > NESTING_DEPTH_MAX) throw new Error(`${tsName}: nesting deeper than ${NESTING_DEPTH_MAX}`);
    if (this.structs.some((s) => s.tsName === tsName)) return;
    this.structs.push({ tsName, fields, depth });
    for (const f of fields) {
      const elem = f.type.startsWith('[]') ? f.type.slice(2) : f.type;
      if (PRIMS.has(elem)) continue;
      const sub = f.fields ?? this.common.get(elem);
      if (!sub) throw new Error(`${this.spec.name}.${f.name}: unknown struct ${elem}`);
      f.fields = sub;
      this.collect(this.structName(elem), sub, depth + 1);
    }
  }
  private fieldVersions(f: FieldSpec): Range {
    return intersect(parseRange(f.versions), this.valid);
  }
  tsType(f: FieldSpec): string {
    const nullable = intersect(parseRange(f.nullableVersions), this.valid) !== null;
    const base = this.elemTs(f.type);
    return nullable ? `${base} | null` : base;
  }
  private elemTs(t: string): string {
    if (t.startsWith('[]')) return `${this.elemTs(t.slice(2))}[]`;
    switch (t) {
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'float64':
        return 'number';
      case 'int64':
        return 'bigint';
      case 'bool':
        return 'boolean';
      case 'string':
      case 'uuid':
        return 'string';
      case 'bytes':
      case 'records':
        return 'Buffer';
      default:
        return this.structName(t);
    }
  }
  defaultExpr(f: FieldSpec): string {
    const d = f.default;
    const nullableEver = intersect(parseRange(f.nullableVersions), this.valid) !== null;
    if (d === 'null') {
      if (!nullableEver) throw new Error(`${this.spec.name}.${f.name}: default null but never nullable`);
      return 'null';
    }
    if (f.type.startsWith('[]')) return '[]';
    switch (f.type) {
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'float64':
        return d === undefined || d === '' ? '0' : String(Number(d));
      case 'int64':
        return d === undefined || d === '' ? '0n' : `${BigInt(d)}n`;
      case 'bool':
        return d === 'true' ? 'true' : 'false';
      case 'string':
        return JSON.stringify(d ?? '');
      case 'uuid':
        return 'ZERO_UUID';
      case 'bytes':
      case 'records':
        return 'EMPTY_BUFFER';
      default:
        return `default${this.structName(f.type)}()`;
    }
  }
  /** Expression reading one value of `t`; `flex` and `nul` are JS expressions. */
  private readExpr(t: string, flex: string, nul: string, fieldPath: string): string {
    const pick = (a: string, b: string): string =>
      flex === 'true' ? a : flex === 'false' ? b : `(${flex} ? ${a} : ${b})`;
    const nn = (a: string, b: string): string =>
      nul === 'false' ? b : nul === 'true' ? a : `(${nul} ? ${a} : ${b})`;
    switch (t) {
      case 'int8':
        return 'r.int8()';
      case 'int16':
        return 'r.int16()';
      case 'uint16':
        return 'r.uint16()';
      case 'int32':
        return 'r.int32()';
      case 'int64':
        return 'r.int64()';
      case 'float64':
        return 'r.float64()';
      case 'bool':
        return 'r.bool()';
      case 'uuid':
        return 'r.uuid()';
      case 'string':
        return nn(
          pick('r.compactNullableString()', 'r.nullableString()'),
          pick('r.compactString()', 'r.string()'),
        );
      case 'bytes':
      case 'records':
        return nn(
          pick('r.compactNullableBytes()', 'r.nullableBytes()'),
          pick('r.compactBytes()', 'r.bytes()'),
        );
      default:
        throw new Error(`readExpr ${t} at ${fieldPath}`);
    }
  }
  private writeStmt(t: string, flex: string, nul: string, val: string): string {
    const pick = (a: string, b: string): string =>
      flex === 'true' ? a : flex === 'false' ? b : `if (${flex}) ${a}; else ${b}`;
    const nn = (a: string, b: string): string =>
      nul === 'false' ? b : nul === 'true' ? a : `if (${nul}) { ${a}; } else { ${b}; }`;
    switch (t) {
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'int64':
      case 'float64':
      case 'bool':
      case 'uuid':
        return `w.${t === 'bool' ? 'bool' : t}(${val})`;
      case 'string':
        return nn(
          pick(`w.compactNullableString(${val})`, `w.nullableString(${val})`),
          pick(`w.compactString(${val} as string)`, `w.string(${val} as string)`),
        );
      case 'bytes':
      case 'records':
        return nn(
          pick(`w.compactNullableBytes(${val})`, `w.nullableBytes(${val})`),
          pick(`w.compactBytes(${val} as Buffer)`, `w.bytes(${val} as Buffer)`),
        );
      default:
        throw new Error(`writeStmt ${t}`);
    }
  }

  /** Statements assigning field `f` into local `x_<name>` for version v. */
  private readField(f: FieldSpec, flexExpr: string): string[] {
    const local = `x_${camel(f.name)}`;
    const nulR = intersect(parseRange(f.nullableVersions), this.valid);
    const nul = nulR ? cond(nulR) : 'false';
    const fflex = f.flexibleVersions === 'none' ? 'false' : flexExpr;
    const path = `${this.spec.name}.${f.name}`;
    if (f.type.startsWith('[]')) {
      const elem = f.type.slice(2);
      const readElem = PRIMS.has(elem)
        ? this.readExpr(elem, fflex, 'false', path)
        : `read${this.structName(elem)}(r, v)`;
      const len =
        fflex === 'false'
          ? 'r.arrayLength()'
          : fflex === 'true'
            ? 'r.compactArrayLength()'
            : `(${fflex} ? r.compactArrayLength() : r.arrayLength())`;
      return [
        `{`,
        `  const n = ${len};`,
        nul === 'false'
          ? `  if (n < 0) throw r.error('null array ${path}');`
          : `  if (n < 0) { if (${nul}) ${local} = null; else throw r.error('null array ${path}'); }`,
        `  else { const a: ${this.elemTs(elem)}[] = []; for (let i = 0; i < n; i++) a.push(${readElem}); ${local} = a; }`,
        `}`,
      ];
    }
    if (PRIMS.has(f.type)) {
      const e = this.readExpr(f.type, fflex, nul, path);
      if ((f.type === 'string' || f.type === 'bytes' || f.type === 'records') && nul === 'false')
        return [`${local} = ${e};`];
      return [`${local} = ${e};`];
    }
    const rs = `read${this.structName(f.type)}(r, v)`;
    if (nul === 'false') return [`${local} = ${rs};`];
    return [`if (${nul}) ${local} = r.int8() < 0 ? null : ${rs}; else ${local} = ${rs};`];
  }
  private writeField(f: FieldSpec, flexExpr: string, val: string): string[] {
    const nulR = intersect(parseRange(f.nullableVersions), this.valid);
    const nul = nulR ? cond(nulR) : 'false';
    const fflex = f.flexibleVersions === 'none' ? 'false' : flexExpr;
    const path = `${this.spec.name}.${f.name}`;
    if (f.type.startsWith('[]')) {
      const elem = f.type.slice(2);
      const writeElem = PRIMS.has(elem)
        ? this.writeStmt(elem, fflex, 'false', 'e')
        : `write${this.structName(elem)}(w, v, e)`;
      const lenW = (n: string): string =>
        fflex === 'false'
          ? `w.int32(${n})`
          : fflex === 'true'
            ? `w.uvarint(${n} + 1)`
            : `if (${fflex}) w.uvarint(${n} + 1); else w.int32(${n})`;
      return [
        `{`,
        `  const a = ${val};`,
        `  if (a === null) { if (!(${nul})) throw new TypeError('null array ${path}'); ${lenW('-1')}; }`,
        `  else { ${lenW('a.length')}; for (const e of a) { ${writeElem}; } }`,
        `}`,
      ];
    }
    if (PRIMS.has(f.type)) {
      if (nul !== 'false' || !['string', 'bytes', 'records'].includes(f.type))
        return [this.writeStmt(f.type, fflex, nul, val) + ';'];
      return [
        `{ const s = ${val}; if (s === null) throw new TypeError('null ${path}'); ${this.writeStmt(f.type, fflex, 'false', 's')}; }`,
      ];
    }
    const ws = (x: string): string => `write${this.structName(f.type)}(w, v, ${x})`;
    if (nul === 'false')
      return [`{ const s = ${val}; if (s === null) throw new TypeError('null ${path}'); ${ws('s')}; }`];
    return [
      `{ const s = ${val}; if (${nul}) { if (s === null) w.int8(-1); else { w.int8(1); ${ws('s')}; } } else { if (s === null) throw new TypeError('null ${path}'); ${ws('s')}; } }`,
    ];
  }
  /** Whether a tagged value equals its default, so it is omitted as Kafka does. */
  private isDefaultExpr(f: FieldSpec, val: string): string {
    const d = this.defaultExpr(f);
    if (d === 'null') return `${val} === null`;
    if (f.type.startsWith('[]')) return `${val} !== null && ${val}.length === 0`;
    if (f.type === 'bytes' || f.type === 'records') return `${val} !== null && ${val}.length === 0`;
    if (!PRIMS.has(f.type)) return 'false';
    return `${val} === ${d}`;
  }

  genStruct(s: StructDef): string {
    const out: string[] = [];
    const fields = s.fields.filter((f) => this.fieldVersions(f) !== null);
    const flexR = this.flexible;
    const flexExpr = flexR ? cond(flexR) : 'false';
    out.push(`export interface ${s.tsName} {`);
    for (const f of fields) out.push(`  ${camel(f.name)}: ${this.tsType(f)};`);
    out.push(`}`);
    out.push(`export function default${s.tsName}(): ${s.tsName} {`);
    out.push(`  return { ${fields.map((f) => `${camel(f.name)}: ${this.defaultExpr(f)}`).join(', ')} };`);
    out.push(`}`);
    // Tagged vs. regular presence per field.
    const regular = (f: FieldSpec): Range => {
      const vr = this.fieldVersions(f);
      if (f.tag === undefined) return vr;
      const tv = parseRange(f.taggedVersions);
      // Regular where present but not tagged (Kafka requires taggedVersions ⊆ versions).
      if (!tv || !vr) return vr;
      if (tv[0] <= vr[0] && tv[1] >= vr[1]) return null;
      if (tv[1] >= vr[1] && tv[0] > vr[0]) return [vr[0], tv[0] - 1];
      throw new Error(`${s.tsName}.${f.name}: unsupported taggedVersions layout`);
    };
    const tagged = fields.filter((f) => f.tag !== undefined).sort((a, b) => a.tag! - b.tag!);
    // Reader.
    out.push(`export function read${s.tsName}(r: Reader, v: number): ${s.tsName} {`);
    if (flexR) out.push(`  const flex = ${flexExpr};`);
    const fx = flexR ? 'flex' : 'false';
    for (const f of fields) out.push(`  let x_${camel(f.name)}: ${this.tsType(f)} = ${this.defaultExpr(f)};`);
    for (const f of fields) {
      const rr = regular(f);
      if (!rr) continue;
      const c = cond(rr);
      const body = this.readField(f, fx);
      out.push(
        c === 'true'
          ? body.map((l) => '  ' + l).join('\n')
          : `  if (${c}) {\n${body.map((l) => '    ' + l).join('\n')}\n  }`,
      );
    }
    if (flexR) {
      out.push(`  if (flex) {`);
      out.push(`    const nTags = r.taggedCount();`);
      out.push(`    for (let t = 0; t < nTags; t++) {`);
      out.push(`      const tag = r.uvarint();`);
      out.push(`      const end = r.taggedEnd();`);
      if (tagged.length) {
        out.push(`      switch (tag) {`);
        for (const f of tagged) {
          const tv = intersect(parseRange(f.taggedVersions), this.fieldVersions(f));
          out.push(`        case ${f.tag}:`);
          out.push(`          if (${cond(tv)}) {`);
          for (const l of this.readField(f, 'true')) out.push(`            ${l}`);
          out.push(`            r.expectAt(end);`);
          out.push(`            continue;`);
          out.push(`          }`);
          out.push(`          break;`);
        }
        out.push(`      }`);
      }
      out.push(`      r.seek(end);`);
      out.push(`    }`);
      out.push(`  }`);
    }
    out.push(`  return { ${fields.map((f) => `${camel(f.name)}: x_${camel(f.name)}`).join(', ')} };`);
    out.push(`}`);
    // Writer.
    out.push(`export function write${s.tsName}(w: Writer, v: number, m: Init<${s.tsName}>): void {`);
    if (flexR) out.push(`  const flex = ${flexExpr};`);
    for (const f of fields) {
      const rr = regular(f);
      if (!rr) continue;
      const c = cond(rr);
      const key = camel(f.name);
      const val = `(m.${key} === undefined ? ${this.defaultExpr(f)} : m.${key})`;
      const body = this.writeField(f, fx, val);
      out.push(
        c === 'true'
          ? body.map((l) => '  ' + l).join('\n')
          : `  if (${c}) {\n${body.map((l) => '    ' + l).join('\n')}\n  }`,
      );
    }
    if (flexR) {
      out.push(`  if (flex) {`);
      if (!tagged.length) out.push(`    w.uvarint(0);`);
      else {
        out.push(`    let nTags = 0;`);
        for (const f of tagged) {
          const key = camel(f.name);
          const tv = intersect(parseRange(f.taggedVersions), this.fieldVersions(f));
          const omit =
            PRIMS.has(f.type) || f.type.startsWith('[]') ? this.isDefaultExpr(f, `m.${key}`) : 'false';
          out.push(`    const t_${key} = ${cond(tv)} && m.${key} !== undefined && !(${omit});`);
          out.push(`    if (t_${key}) nTags++;`);
        }
        out.push(`    w.uvarint(nTags);`);
        for (const f of tagged) {
          const key = camel(f.name);
          out.push(`    if (t_${key}) {`);
          out.push(`      const sub = new Writer();`);
          out.push(`      { const w = sub;`);
          for (const l of this.writeField(f, 'true', `m.${key}!`)) out.push(`        ${l}`);
          out.push(`      }`);
          out.push(`      w.uvarint(${f.tag}); w.uvarint(sub.length); w.appendWriter(sub);`);
          out.push(`    }`);
        }
      }
      out.push(`  }`);
    }
    out.push(`}`);
    return out.join('\n');
  }

  /** Runtime descriptor for property tests and the registry. */
  descriptor(): string {
    const fd = (fields: FieldSpec[]): unknown[] =>
      fields
        .filter((f) => this.fieldVersions(f) !== null)
        .map((f) => {
          const elem = f.type.startsWith('[]') ? f.type.slice(2) : f.type;
          const o: Record<string, unknown> = {
            name: camel(f.name),
            type: PRIMS.has(elem) ? f.type : f.type.startsWith('[]') ? '[]struct' : 'struct',
            versions: this.fieldVersions(f),
          };
          const nr = intersect(parseRange(f.nullableVersions), this.valid);
          if (nr) o.nullable = nr;
          if (f.tag !== undefined) o.tag = f.tag;
          if (PRIMS.has(elem) || f.default === 'null') o.def = this.defaultExpr(f);
          if (f.fields) o.fields = fd(f.fields);
          return o;
        });
    return JSON.stringify({
      name: this.spec.name,
      apiKey: this.spec.apiKey ?? -1,
      kind: this.spec.type,
      valid: this.valid,
      flexible: this.flexible,
      fields: fd(this.spec.fields),
    });
  }
}

const HEADER = [
  `// GENERATED by scripts/gen-kafka-messages.ts from Apache Kafka's message schemas. DO NOT EDIT.`,
  `// Regenerate: npx tsx scripts/gen-kafka-messages.ts`,
  `/* eslint-disable */`,
];

const kebab = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** The struct code of some messages, with the imports that code uses (from `dir`, relative). */
function messagesModule(gens: readonly MessageGen[], dir: string): string[] {
  const body: string[] = [];
  for (const g of gens) {
    body.push(
      `// ---- ${g.spec.name} (${g.spec.type}${g.spec.apiKey !== undefined ? `, api key ${g.spec.apiKey}` : ''}, versions ${g.spec.validVersions}, flexible ${g.spec.flexibleVersions})`,
    );
    for (const s of [...g.structs].reverse()) body.push(g.genStruct(s));
    body.push('');
  }
  const text = body.join('\n');
  const typesUsed = ['EMPTY_BUFFER', 'ZERO_UUID'].filter((n) => text.includes(n));
  return [
    ...HEADER,
    `import type { Reader } from '${dir}/reader.js';`,
    text.includes('new Writer(')
      ? `import { Writer } from '${dir}/writer.js';`
      : `import type { Writer } from '${dir}/writer.js';`,
    `import { ${[...typesUsed, 'type Init'].join(', ')} } from '${dir}/types.js';`,
    '',
    ...body,
  ];
}

interface ApiPair {
  key: number;
  base: string;
  req: MessageGen;
  res: MessageGen;
  /** Module file name (kebab case) under protocol/messages/. */
  file: string;
}

function apiPairs(gens: readonly MessageGen[]): ApiPair[] {
  const byKey = new Map<number, { req?: MessageGen; res?: MessageGen }>();
  for (const g of gens) {
    if (g.spec.apiKey === undefined) continue;
    const e = byKey.get(g.spec.apiKey) ?? {};
    if (g.spec.type === 'request') e.req = g;
    else e.res = g;
    byKey.set(g.spec.apiKey, e);
  }
  return [...byKey.keys()]
    .sort((a, b) => a - b)
    .map((key) => {
      const { req, res } = byKey.get(key)!;
      if (!req || !res) throw new Error(`api ${key} lacks a request or response schema`);
      if (req.valid[0] !== res.valid[0] || req.valid[1] !== res.valid[1])
        throw new Error(`api ${key}: request/response versions differ`);
      const base = req.spec.name.replace(/Request$/, '');
      return { key, base, req, res, file: kebab(base) };
    });
}

const codecConst = (a: ApiPair): string => `${camel(a.base)}Codec`;

/** One module per API: its request and response structs and its ApiCodec. */
function apiModule(a: ApiPair): string {
  const out = messagesModule([a.req, a.res], '..');
  out.splice(HEADER.length, 0, `import type { ApiCodec } from '../api-table.generated.js';`);
  out.push(
    `export const ${codecConst(a)}: ApiCodec = { apiKey: ${a.key}, name: '${a.base}', minVersion: ${a.req.valid[0]}, maxVersion: ${a.req.valid[1]}, flexibleMin: ${a.req.flexible ? a.req.flexible[0] : -1}, readRequest: read${a.req.spec.name}, writeRequest: write${a.req.spec.name}, readResponse: read${a.res.spec.name}, writeResponse: write${a.res.spec.name} };`,
  );
  return out.join('\n') + '\n';
}

/**
 * The small module the broker loads at start: ApiKey, and per API its version range, first
 * flexible version and a loader for its codec module (parsed on the first request for that key).
 */
function apiTableModule(apis: readonly ApiPair[]): string {
  const out = [...HEADER];
  out.push(`import type { Reader } from './reader.js';`);
  out.push(`import type { Writer } from './writer.js';`);
  out.push('');
  out.push(`export interface ApiCodec {`);
  out.push(`  readonly apiKey: number;`);
  out.push(`  readonly name: string;`);
  out.push(`  readonly minVersion: number;`);
  out.push(`  readonly maxVersion: number;`);
  out.push(`  /** First flexible version of the request (header v2, response header v1), or -1. */`);
  out.push(`  readonly flexibleMin: number;`);
  out.push(`  readonly readRequest: (r: Reader, v: number) => unknown;`);
  out.push(`  readonly writeRequest: (w: Writer, v: number, m: any) => void;`);
  out.push(`  readonly readResponse: (r: Reader, v: number) => unknown;`);
  out.push(`  readonly writeResponse: (w: Writer, v: number, m: any) => void;`);
  out.push(`}`);
  out.push(`/** What the broker knows about an API before its codec module is loaded. */`);
  out.push(`export interface ApiInfo {`);
  out.push(`  readonly apiKey: number;`);
  out.push(`  readonly name: string;`);
  out.push(`  readonly minVersion: number;`);
  out.push(`  readonly maxVersion: number;`);
  out.push(`  readonly flexibleMin: number;`);
  out.push(`  /** Imports the API's codec module (protocol/messages/<api>.generated.js). */`);
  out.push(`  readonly load: () => Promise<ApiCodec>;`);
  out.push(`}`);
  out.push(`export const API_TABLE: ReadonlyMap<number, ApiInfo> = new Map<number, ApiInfo>([`);
  for (const a of apis)
    out.push(
      `  [${a.key}, { apiKey: ${a.key}, name: '${a.base}', minVersion: ${a.req.valid[0]}, maxVersion: ${a.req.valid[1]}, flexibleMin: ${a.req.flexible ? a.req.flexible[0] : -1}, load: async () => (await import('./messages/${a.file}.generated.js')).${codecConst(a)} }],`,
    );
  out.push(`]);`);
  out.push(`export const ApiKey = {`);
  for (const a of apis) out.push(`  ${a.base}: ${a.key},`);
  out.push(`} as const;`);
  return out.join('\n') + '\n';
}

/** Everything at once, for tests, tools and the CLI client (the broker never imports this). */
function barrelModule(gens: readonly MessageGen[], apis: readonly ApiPair[]): string {
  const out = [...HEADER];
  out.push(`// Every codec in one import: re-exports the per-API modules. The broker loads them one by one.`);
  out.push(`import type { Reader } from './reader.js';`);
  out.push(`import type { Writer } from './writer.js';`);
  out.push(`import type { ApiCodec } from './api-table.generated.js';`);
  out.push(`import * as header from './messages/header.generated.js';`);
  for (const a of apis) out.push(`import * as api${a.key} from './messages/${a.file}.generated.js';`);
  out.push(`export * from './api-table.generated.js';`);
  out.push(`export * from './messages/header.generated.js';`);
  for (const a of apis) out.push(`export * from './messages/${a.file}.generated.js';`);
  out.push('');
  out.push(`export const API_CODECS: ReadonlyMap<number, ApiCodec> = new Map<number, ApiCodec>([`);
  for (const a of apis) out.push(`  [${a.key}, api${a.key}.${codecConst(a)}],`);
  out.push(`]);`);
  out.push(`/** Schema descriptors (field names, types, version ranges) for tests and tooling. */`);
  out.push(`export const MESSAGE_SCHEMAS: readonly MessageSchema[] = [`);
  for (const g of gens) out.push(`  ${g.descriptor()},`);
  out.push(`] as unknown as readonly MessageSchema[];`);
  out.push(`/** Read/write functions of every message and header by schema name. */`);
  out.push(
    `export const MESSAGE_CODECS: ReadonlyMap<string, { read: (r: Reader, v: number) => unknown; write: (w: Writer, v: number, m: any) => void }> = new Map([`,
  );
  const ns = (g: MessageGen): string => (g.spec.apiKey === undefined ? 'header' : `api${g.spec.apiKey}`);
  for (const g of gens)
    out.push(
      `  ['${g.spec.name}', { read: ${ns(g)}.read${g.spec.name}, write: ${ns(g)}.write${g.spec.name} }],`,
    );
  out.push(`]);`);
  out.push(`/** \`def\` is the default as a TypeScript expression (e.g. "-1n", "ZERO_UUID", "null"). */`);
  out.push(
    `export interface FieldSchema { name: string; type: string; versions: [number, number]; nullable?: [number, number]; tag?: number; def?: string; fields?: FieldSchema[] }`,
  );
  out.push(
    `export interface MessageSchema { name: string; apiKey: number; kind: string; valid: [number, number]; flexible: [number, number] | null; fields: FieldSchema[] }`,
  );
  return out.join('\n') + '\n';
}

function main(): void {
  const files = readdirSync(specDir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const gens: MessageGen[] = [];
  for (const f of files) {
    const spec = JSON.parse(stripComments(readFileSync(join(specDir, f), 'utf8'))) as MessageSpec;
    if (spec.type !== 'request' && spec.type !== 'response' && spec.type !== 'header') continue;
    gens.push(new MessageGen(spec));
  }
  const apis = apiPairs(gens);
  const protocolDir = dirname(outFile);
  const messagesDir = join(protocolDir, 'messages');
  // Stale per-API modules (an API dropped from the schemas) must not linger.
  rmSync(messagesDir, { recursive: true, force: true });
  mkdirSync(messagesDir, { recursive: true });
  const headers = gens.filter((g) => g.spec.type === 'header');
  writeFileSync(join(messagesDir, 'header.generated.ts'), messagesModule(headers, '..').join('\n') + '\n');
  for (const a of apis) writeFileSync(join(messagesDir, `${a.file}.generated.ts`), apiModule(a));
  writeFileSync(join(protocolDir, 'api-table.generated.ts'), apiTableModule(apis));
  writeFileSync(outFile, barrelModule(gens, apis));
  console.log(
    `wrote ${outFile}, api-table.generated.ts and messages/: ${gens.length} messages, ${apis.length} APIs`,
  );
}

main();
