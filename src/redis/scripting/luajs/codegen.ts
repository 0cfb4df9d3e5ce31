// AST → JS source. The output is the body of `new Function('R', src)`: it unpacks the runtime
// helpers from R and returns the main chunk as a JS function.
//
// Nothing from the Lua source is pasted into the JS text unescaped: locals become `<name>$<id>`
// (Lua names are [A-Za-z0-9_], so with the '$' suffix they can be neither JS keywords nor the
// generator's own names, which have no '$<digits>' suffix or start with '$'), and every string
// (constants, global names, error descriptions) is emitted with JSON.stringify.
//
// Calling convention: every Lua function is a JS function taking positional arguments (vararg
// functions take the rest as `va`) and returning an array of results. A call in a single-value
// position takes `[0]`; in a multi-value position (last argument, last return value, last
// positional field) the array is spread.
//
// Lua locals are JS `let` bindings declared in the JS block of their Lua block, so closures
// capture them as Lua upvalues and loop bodies get a fresh binding per iteration.
import type { CallExpr, Expr, FuncBody, LocalVar, Stat } from './ast.js';

interface FnCtx {
  body: FuncBody;
  temps: number;
  main: boolean;
  /** The body reads `...` (otherwise the rest parameter, an array per call, is left out). */
  usesVa: boolean;
}

export interface Generated {
  source: string;
  /** Global names the chunk reads or writes (the engine checks it supports them all). */
  globals: Set<string>;
  /** The chunk uses method-call syntax (may need the string library for `s:sub()`). */
  methods: boolean;
}

const HELPERS =
  'S, index, indexS, setindex, fn, add, sub, mul, div, mod, pow, unm, len, concat, eq, lt, le, ' +
  'forNum, mktable, truthy, tick, gget, gset, NEXT, INEXT, LuaTable, EMPTY';

const ARITH: Record<string, string> = {
  '+': 'add',
  '-': 'sub',
  '*': 'mul',
  '/': 'div',
  '%': 'mod',
  '^': 'pow',
};

/**
 * `isConstant(name)` says a global never changes for the life of the environment (Redis's
 * globals are read-only): such globals are read once when the chunk is created, into a
 * `G$<name>` constant, instead of a table lookup per use.
 */
export function generate(main: FuncBody, isConstant: (name: string) => boolean = () => false): Generated {
  const g = new Gen(isConstant);
  const fnSrc = g.func(main, true);
  const consts = [...g.hoisted].map((n) => `const G$${n} = gget(${q(n)});\n`).join('');
  return {
    source: `"use strict";\nconst {${HELPERS}} = R;\n${consts}return ${fnSrc};\n`,
    globals: g.globals,
    methods: g.methods,
  };
}

const q = (s: string): string => JSON.stringify(s);

function numLit(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  return Object.is(n, -0) ? '-0' : String(n);
}

function isMulti(e: Expr | undefined): boolean {
  return e !== undefined && (e.k === 'call' || e.k === 'method' || e.k === 'vararg');
}

function isComparison(e: Expr): boolean {
  return (
    e.k === 'bin' &&
    (e.op === '==' || e.op === '~=' || e.op === '<' || e.op === '<=' || e.op === '>' || e.op === '>=')
  );
}

/** A literal whose equality with anything is JS `===` (no __eq can apply). */
function isPlainLiteral(e: Expr): boolean {
  return e.k === 'nil' || e.k === 'true' || e.k === 'false' || e.k === 'num' || e.k === 'str';
}

class Gen {
  readonly globals = new Set<string>();
  /** Constant globals read through a `G$<name>` binding. */
  readonly hoisted = new Set<string>();

  constructor(private readonly isConstant: (name: string) => boolean) {}

  methods = false;
  private ctx!: FnCtx;
  /** The line the current statement set; calls on other lines (multi-line statements) set theirs. */
  private stmtLine = 0;

  private localName(v: LocalVar): string {
    return `${v.name}$${v.id}`;
  }

  private temp(): string {
    return `$${this.ctx.temps++}`;
  }

  /** Variable description for error texts ("local 'x'"), as a JS argument, or ''. */
  private desc(e: Expr): string {
    switch (e.k) {
      case 'local':
        return q(`${e.up ? 'upvalue' : 'local'} '${e.v.name}'`);
      case 'global':
        return q(`global '${e.name}'`);
      case 'index':
        // Lua 5.1 names only constant string keys; any other key is "field '?'".
        return q(`field '${e.key.k === 'str' ? e.key.v : '?'}'`);
      case 'paren':
        return this.desc(e.e); // (x) is still the variable x to Lua's error messages
      default:
        return '';
    }
  }

  // ---- functions ------------------------------------------------------------------------------

  func(f: FuncBody, main = false): string {
    const saved = this.ctx;
    const savedLine = this.stmtLine;
    this.ctx = { body: f, temps: 0, main, usesVa: false };
    const params = f.params.map((p) => this.localName(p));
    const body = this.block(f.body);
    if (f.vararg && this.ctx.usesVa) params.push('...va');
    const temps = this.ctx.temps;
    const last = f.body[f.body.length - 1];
    const decl = temps > 0 ? `let ${Array.from({ length: temps }, (_, i) => `$${i}`).join(', ')};\n` : '';
    const prologue = main ? '' : 'if (--S.budget < 0) tick();\nconst $ln = S.line;\n';
    const epilogue =
      last !== undefined && last.k === 'return'
        ? ''
        : main
          ? 'return EMPTY;\n'
          : 'S.line = $ln;\nreturn EMPTY;\n';
    this.ctx = saved;
    this.stmtLine = savedLine;
    return `function (${params.join(', ')}) {\n${prologue}${decl}${body}${epilogue}}`;
  }

  // ---- statements -----------------------------------------------------------------------------

  private block(stats: Stat[]): string {
    let out = '';
    for (const s of stats) out += this.stat(s);
    return out;
  }

  private stat(s: Stat): string {
    switch (s.k) {
      case 'do':
        return `{\n${this.block(s.body)}}\n`;
      case 'break':
        return 'break;\n';
      default:
        this.stmtLine = s.line;
        return `S.line = ${s.line};\n${this.statBody(s)}`;
    }
  }

  private statBody(s: Stat): string {
    switch (s.k) {
      case 'local':
        return this.localStat(s.vars, s.exprs);
      case 'localfunc': {
        const n = this.localName(s.v);
        return `let ${n};\n${n} = ${this.func(s.f)};\n`;
      }
      case 'assign':
        return this.assign(s.targets, s.exprs);
      case 'call':
        return `${this.callExpr(s.e)};\n`;
      case 'while':
        return `while (${this.cond(s.cond)}) {\nif (--S.budget < 0) tick();\n${this.block(s.body)}}\n`;
      case 'repeat':
        return `for (;;) {\nif (--S.budget < 0) tick();\n${this.block(s.body)}S.line = ${s.line};\nif (${this.cond(s.cond)}) break;\n}\n`;
      case 'if': {
        let out = '';
        s.conds.forEach((c, i) => {
          out += `${i === 0 ? 'if' : ' else if'} (${this.cond(c)}) {\n${this.block(s.blocks[i] as Stat[])}}`;
        });
        if (s.orelse !== null) out += ` else {\n${this.block(s.orelse)}}`;
        return out + '\n';
      }
      case 'numfor':
        return this.numFor(s);
      case 'genfor':
        return this.genFor(s);
      case 'return':
        return this.ret(s.exprs);
      default:
        return '';
    }
  }

  private localStat(vars: LocalVar[], exprs: Expr[]): string {
    const names = vars.map((v) => this.localName(v));
    if (exprs.length === 0) return `let ${names.join(', ')};\n`;
    const vals = this.values(exprs, vars.length);
    let out = vals.pre;
    out += `let ${names.map((n, i) => `${n} = ${vals.items[i] as string}`).join(', ')};\n`;
    return out + vals.post;
  }

  /**
   * Evaluates `exprs` for `n` targets in order: `pre` holds statements to run first (a multi-value
   * call stored in a temp), `items` the n JS expressions, `post` the extra expressions evaluated
   * for their effects after… no: extras are evaluated in `pre` order. See the comments inside.
   */
  private values(exprs: Expr[], n: number): { pre: string; items: string[]; post: string } {
    const items: string[] = [];
    let pre = '';
    const lastMulti = isMulti(exprs[exprs.length - 1]);
    if (exprs.length === n && !lastMulti) {
      // One value per target: the items are evaluated in order as the targets' initialisers.
      for (const e of exprs) items.push(this.ex(e));
      return { pre, items, post: '' };
    }
    // Otherwise every expression goes to a temp in order, then targets read the temps.
    exprs.forEach((e, i) => {
      const last = i === exprs.length - 1;
      if (last && lastMulti && items.length < n) {
        const t = this.temp();
        pre += `${t} = ${this.multi(e)};\n`;
        for (let j = 0; items.length < n; j++) items.push(`${t}[${j}]`);
      } else if (items.length < n) {
        const t = this.temp();
        pre += `${t} = ${this.ex(e)};\n`;
        items.push(t);
      } else pre += `${this.ex(e)};\n`;
    });
    while (items.length < n) items.push('undefined');
    return { pre, items, post: '' };
  }

  private assign(targets: Expr[], exprs: Expr[]): string {
    if (targets.length === 1 && exprs.length === 1) {
      const t = targets[0] as Expr;
      const e = exprs[0] as Expr;
      return this.store(t, this.ex(e)) + ';\n';
    }
    // Lua evaluates the targets' table and key expressions, then the values, then assigns.
    let out = '';
    const stores: Array<(v: string) => string> = [];
    for (const t of targets) {
      if (t.k === 'index') {
        const o = this.temp();
        const k = this.temp();
        out += `${o} = ${this.ex(t.obj)};\n${k} = ${this.ex(t.key)};\n`;
        const d = this.desc(t.obj);
        stores.push((v) => `setindex(${o}, ${k}, ${v}${d ? ', ' + d : ''})`);
      } else stores.push((v) => this.store(t, v));
    }
    const vals = this.values(exprs, targets.length);
    out += vals.pre;
    const temps = vals.items.map((item) => {
      const t = this.temp();
      out += `${t} = ${item};\n`;
      return t;
    });
    stores.forEach((st, i) => {
      out += `${st(temps[i] as string)};\n`;
    });
    return out;
  }

  private store(t: Expr, v: string): string {
    switch (t.k) {
      case 'local':
        return `${this.localName(t.v)} = ${v}`;
      case 'global':
        this.globals.add(t.name);
        return `gset(${q(t.name)}, ${v})`;
      case 'index': {
        const d = this.desc(t.obj);
        const key = t.key.k === 'str' ? q(t.key.v) : this.ex(t.key);
        return `setindex(${this.ex(t.obj)}, ${key}, ${v}${d ? ', ' + d : ''})`;
      }
      default:
        throw new Error('bad assignment target');
    }
  }

  private ret(exprs: Expr[]): string {
    const arr = this.list(exprs);
    if (this.ctx.main) return `return ${arr};\n`;
    const t = this.temp();
    return `${t} = ${arr};\nS.line = $ln;\nreturn ${t};\n`;
  }

  private numFor(s: Extract<Stat, { k: 'numfor' }>): string {
    const a = this.temp();
    const l = this.temp();
    const st = this.temp();
    const i = this.temp();
    const stepLit = s.step === null ? 1 : s.step.k === 'num' ? s.step.v : null;
    let out = `${a} = ${this.ex(s.start)};\n${l} = ${this.ex(s.limit)};\n`;
    out += `${st} = ${s.step === null ? '1' : this.ex(s.step)};\n`;
    out += `${a} = forNum(${a}, "initial value");\n${l} = forNum(${l}, "limit");\n${st} = forNum(${st}, "step");\n`;
    // Lua 5.1's FORPREP/FORLOOP: idx = init - step, then idx += step before each test.
    const test =
      stepLit !== null && stepLit > 0
        ? `${i} <= ${l}`
        : stepLit !== null && stepLit <= 0
          ? `${l} <= ${i}`
          : `0 < ${st} ? ${i} <= ${l} : ${l} <= ${i}`;
    out += `for (${i} = ${a} - ${st}; ; ) {\n${i} += ${st};\nif (!(${test})) break;\nif (--S.budget < 0) tick();\n`;
    out += `let ${this.localName(s.v)} = ${i};\n${this.block(s.body)}}\n`;
    return out;
  }

  private genFor(s: Extract<Stat, { k: 'genfor' }>): string {
    const e = this.temp();
    const f = this.temp();
    const st = this.temp();
    const c = this.temp();
    const m = this.temp();
    const r = this.temp();
    const names = s.vars.map((v) => this.localName(v));
    const k0 = names[0] as string;
    let out = `${e} = ${this.list(s.exprs)};\n${f} = ${e}[0];\n${st} = ${e}[1];\n${c} = ${e}[2];\n`;
    // Mode 1: pairs/next over a table, 2: ipairs, 0: any iterator function.
    out += `${m} = ${st} instanceof LuaTable ? (${f} === NEXT ? 1 : ${f} === INEXT ? 2 : 0) : 0;\n`;
    out += `if (${m} === 0) ${f} = fn(${f});\n`;
    out += `for (;;) {\nif (--S.budget < 0) tick();\nlet ${names.join(', ')};\n`;
    out += `if (${m} === 1) {\n${r} = ${st}.next(${c});\nif (${r} === undefined) break;\n${k0} = ${r}[0];\n`;
    if (names.length > 1) out += `${names[1] as string} = ${r}[1];\n`;
    out += `} else if (${m} === 2) {\n${r} = ${st}.get(${c} + 1);\nif (${r} === undefined) break;\n${k0} = ${c} + 1;\n`;
    if (names.length > 1) out += `${names[1] as string} = ${r};\n`;
    out += `} else {\n${r} = ${f}(${st}, ${c});\n${k0} = ${r}[0];\nif (${k0} === undefined) break;\n`;
    names.slice(1).forEach((n, i) => {
      out += `${n} = ${r}[${i + 1}];\n`;
    });
    out += `}\n${c} = ${k0};\n${this.block(s.body)}}\n`;
    return out;
  }

  // ---- expressions ----------------------------------------------------------------------------

  /** All values of an expression list as a JS array expression (never mutated by callers). */
  private list(exprs: Expr[]): string {
    if (exprs.length === 0) return 'EMPTY';
    const last = exprs[exprs.length - 1] as Expr;
    if (!isMulti(last)) return `[${exprs.map((e) => this.ex(e)).join(', ')}]`;
    if (exprs.length === 1) return this.multi(last);
    return `[${exprs
      .slice(0, -1)
      .map((e) => this.ex(e))
      .join(', ')}, ...${this.multi(last)}]`;
  }

  private args(exprs: Expr[]): string {
    const last = exprs[exprs.length - 1];
    return exprs.map((e) => (e === last && isMulti(e) ? `...${this.multi(e)}` : this.ex(e))).join(', ');
  }

  private multi(e: Expr): string {
    if (e.k === 'vararg') {
      this.ctx.usesVa = true;
      return 'va';
    }
    if (e.k === 'call' || e.k === 'method') return this.callExpr(e);
    return `[${this.ex(e)}]`;
  }

  private callExpr(e: CallExpr): string {
    if (e.line !== this.stmtLine) {
      // Errors in a call on a later line of a multi-line statement name that line, as in Lua.
      const saved = this.stmtLine;
      this.stmtLine = e.line;
      const code = `(S.line = ${e.line}, ${this.callExpr(e)})`;
      this.stmtLine = saved;
      return code;
    }
    if (e.k === 'call') {
      const d = this.desc(e.fn);
      return `fn(${this.ex(e.fn)}${d ? ', ' + d : ''})(${this.args(e.args)})`;
    }
    if (e.k === 'method') {
      this.methods = true;
      const t = this.temp();
      const d = this.desc(e.obj);
      const args = e.args.length > 0 ? `, ${this.args(e.args)}` : '';
      return `fn(indexS(${t} = ${this.ex(e.obj)}, ${q(e.name)}${d ? ', ' + d : ''}), ${q(`method '${e.name}'`)})(${t}${args})`;
    }
    throw new Error('not a call');
  }

  /** A JS boolean expression for a condition. */
  private cond(e: Expr): string {
    switch (e.k) {
      case 'true':
        return 'true';
      case 'false':
      case 'nil':
        return 'false';
      case 'not':
        return `!(${this.cond(e.a)})`;
      case 'and':
        return `(${this.cond(e.a)} && ${this.cond(e.b)})`;
      case 'or':
        return `(${this.cond(e.a)} || ${this.cond(e.b)})`;
      case 'paren':
        return this.cond(e.e);
      default:
        return isComparison(e) ? this.ex(e) : `truthy(${this.ex(e)})`;
    }
  }

  ex(e: Expr): string {
    switch (e.k) {
      case 'nil':
        return 'undefined';
      case 'true':
        return 'true';
      case 'false':
        return 'false';
      case 'num':
        return numLit(e.v);
      case 'str':
        return q(e.v);
      case 'vararg':
        this.ctx.usesVa = true;
        return 'va[0]';
      case 'func':
        return `(${this.func(e.f)})`;
      case 'local':
        return this.localName(e.v);
      case 'global':
        this.globals.add(e.name);
        if (this.isConstant(e.name)) {
          // Lua names are [A-Za-z0-9_]: `G$<name>` is a valid identifier no local can take.
          this.hoisted.add(e.name);
          return `G$${e.name}`;
        }
        return `gget(${q(e.name)})`;
      case 'index': {
        const d = this.desc(e.obj);
        if (e.key.k === 'str') return `indexS(${this.ex(e.obj)}, ${q(e.key.v)}${d ? ', ' + d : ''})`;
        return `index(${this.ex(e.obj)}, ${this.ex(e.key)}${d ? ', ' + d : ''})`;
      }
      case 'call':
      case 'method':
        return `${this.callExpr(e)}[0]`;
      case 'paren':
        return this.ex(e.e);
      case 'not':
        return `!(${this.cond(e.a)})`;
      case 'and': {
        const t = this.temp();
        return `(truthy(${t} = ${this.ex(e.a)}) ? ${this.ex(e.b)} : ${t})`;
      }
      case 'or': {
        const t = this.temp();
        return `(truthy(${t} = ${this.ex(e.a)}) ? ${t} : ${this.ex(e.b)})`;
      }
      case 'neg': {
        if (e.a.k === 'num') return `(${numLit(-e.a.v)})`;
        const d = this.desc(e.a);
        return `unm(${this.ex(e.a)}${d ? ', ' + d : ''})`;
      }
      case 'len': {
        const d = this.desc(e.a);
        return `len(${this.ex(e.a)}${d ? ', ' + d : ''})`;
      }
      case 'table':
        return this.table(e);
      case 'bin':
        return this.bin(e);
    }
  }

  private table(e: Extract<Expr, { k: 'table' }>): string {
    if (e.pos.length === 0 && e.keyed.length === 0) return 'new LuaTable()';
    const pos = `[${this.args(e.pos)}]`;
    if (e.keyed.length === 0) return `mktable(${pos}, null)`;
    const kv = e.keyed.map(([k, v]) => `${this.ex(k)}, ${this.ex(v)}`).join(', ');
    return `mktable(${pos}, [${kv}])`;
  }

  private bin(e: Extract<Expr, { k: 'bin' }>): string {
    const a = this.ex(e.a);
    const b = this.ex(e.b);
    const arith = ARITH[e.op];
    if (arith !== undefined || e.op === '..') {
      const da = this.desc(e.a);
      const db = this.desc(e.b);
      const ds = db ? `, ${da || 'undefined'}, ${db}` : da ? `, ${da}` : '';
      return `${arith ?? 'concat'}(${a}, ${b}${ds})`;
    }
    switch (e.op) {
      case '==':
      case '~=': {
        const plain = isPlainLiteral(e.a) || isPlainLiteral(e.b);
        const test = plain ? `(${a} === ${b})` : `eq(${a}, ${b})`;
        return e.op === '==' ? test : `!${test}`;
      }
      case '<':
        return `lt(${a}, ${b})`;
      case '<=':
        return `le(${a}, ${b})`;
      default: {
        // a > b is b < a, but the operands are still evaluated left to right.
        const t = this.temp();
        return `((${t} = ${a}), ${e.op === '>' ? 'lt' : 'le'}(${b}, ${t}))`;
      }
    }
  }
}
