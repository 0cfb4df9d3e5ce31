// Lua 5.1 parser (lparser.c's grammar and operator priorities) producing ast.ts nodes.
//
// Recursive descent, with every recursion (nested expressions, blocks, functions, and each link
// of a left-associative chain such as `a+b+c` or `a.b.c`, which build left-deep trees) counted
// against MAX_SYNTAX_LEVELS. Input nested deeper is refused with Lua's "chunk has too many syntax
// levels" error, so neither the parser nor the code generator (which recurses over the tree) can
// exhaust the JS stack.
import type { BinOp, Expr, FuncBody, LocalVar, Stat } from './ast.js';
import { Lexer, LuaSyntaxError } from './lexer.js';

/** LUAI_MAXCCALLS: how deep syntax may nest (expressions, blocks, chains). */
export const MAX_SYNTAX_LEVELS = 200;
/** Locals per function (Lua 5.1's LUAI_MAXVARS). */
export const MAX_LOCALS = 200;

/** [left, right] priorities (lparser.c priority[]); right < left means right-associative. */
const PRIORITY: Record<string, [number, number]> = {
  '+': [6, 6],
  '-': [6, 6],
  '*': [7, 7],
  '/': [7, 7],
  '%': [7, 7],
  '^': [10, 9],
  '..': [5, 4],
  '==': [3, 3],
  '~=': [3, 3],
  '<': [3, 3],
  '<=': [3, 3],
  '>': [3, 3],
  '>=': [3, 3],
  and: [2, 2],
  or: [1, 1],
};
const UNARY_PRIORITY = 8;

interface FuncState {
  body: FuncBody;
  /** Block scopes, innermost last. */
  scopes: Array<Map<string, LocalVar>>;
  active: number;
  /** Enclosing loops in this function (`break` needs one). */
  loops: number;
}

export function parseChunk(src: string, chunkName: string): FuncBody {
  return new Parser(src, chunkName).chunk();
}

class Parser {
  private readonly lx: Lexer;
  private fs!: FuncState;
  private level = 0;
  private nextId = 0;

  constructor(src: string, chunkName: string) {
    this.lx = new Lexer(src, chunkName);
  }

  chunk(): FuncBody {
    const body: FuncBody = { params: [], vararg: true, body: [], line: 0, name: 'main chunk' };
    this.fs = { body, scopes: [new Map()], active: 0, loops: 0 };
    body.body = this.block();
    if (this.lx.kind !== 'eof') this.lx.error("'<eof>' expected");
    return body;
  }

  // ---- helpers ------------------------------------------------------------------------------

  private enter(): void {
    if (++this.level > MAX_SYNTAX_LEVELS) this.lx.error('chunk has too many syntax levels');
  }

  private leave(n = 1): void {
    this.level -= n;
  }

  private check(kind: string): void {
    if (this.lx.kind !== kind) this.lx.error(`'${kind}' expected`);
  }

  private expect(kind: string): void {
    this.check(kind);
    this.lx.next();
  }

  private accept(kind: string): boolean {
    if (this.lx.kind !== kind) return false;
    this.lx.next();
    return true;
  }

  private match(what: string, who: string, line: number): void {
    if (this.lx.kind === what) {
      this.lx.next();
      return;
    }
    if (line === this.lx.line) this.lx.error(`'${what}' expected`);
    this.lx.error(`'${what}' expected (to close '${who}' at line ${line})`);
  }

  private name(): string {
    this.check('name');
    const n = this.lx.value as string;
    this.lx.next();
    return n;
  }

  private declare(name: string): LocalVar {
    return { name, id: this.nextId++, fn: this.fs.body };
  }

  private activate(vars: LocalVar[]): void {
    const scope = this.fs.scopes[this.fs.scopes.length - 1] as Map<string, LocalVar>;
    this.fs.active += vars.length;
    if (this.fs.active > MAX_LOCALS)
      this.lx.error(`too many local variables (limit is ${MAX_LOCALS})`, false);
    for (const v of vars) scope.set(v.name, v);
  }

  private resolve(name: string): Expr {
    // Walk this function's scopes, then the enclosing functions' (via the saved chain).
    for (let f: FuncState | undefined = this.fs; f !== undefined; f = this.outer.get(f)) {
      for (let i = f.scopes.length - 1; i >= 0; i--) {
        const v = (f.scopes[i] as Map<string, LocalVar>).get(name);
        if (v !== undefined) return { k: 'local', v, up: f !== this.fs };
      }
    }
    return { k: 'global', name };
  }

  private readonly outer = new Map<FuncState, FuncState>();

  private openScope(): void {
    this.fs.scopes.push(new Map());
  }

  private closeScope(): void {
    const s = this.fs.scopes.pop() as Map<string, LocalVar>;
    this.fs.active -= s.size;
  }

  // ---- blocks and statements -----------------------------------------------------------------

  private blockFollow(): boolean {
    const k = this.lx.kind;
    return k === 'else' || k === 'elseif' || k === 'end' || k === 'until' || k === 'eof';
  }

  /** Statements up to a block end; the caller manages the scope. */
  private block(): Stat[] {
    this.enter();
    const out: Stat[] = [];
    while (!this.blockFollow()) {
      if (this.lx.kind === 'return') {
        out.push(this.retstat());
        break;
      }
      if (this.lx.kind === 'break') {
        if (this.fs.loops === 0) this.lx.error('no loop to break', false);
        this.lx.next();
        out.push({ k: 'break' });
        this.accept(';');
        break;
      }
      out.push(this.statement());
      this.accept(';');
    }
    this.leave();
    return out;
  }

  private scopedBlock(): Stat[] {
    this.openScope();
    const b = this.block();
    this.closeScope();
    return b;
  }

  private retstat(): Stat {
    const line = this.lx.tokLine;
    this.lx.next();
    const exprs = this.blockFollow() || this.lx.kind === ';' ? [] : this.exprList();
    this.accept(';');
    return { k: 'return', exprs, line };
  }

  private statement(): Stat {
    const line = this.lx.tokLine;
    switch (this.lx.kind) {
      case 'if':
        return this.ifstat(line);
      case 'while': {
        this.lx.next();
        const cond = this.expr();
        this.expect('do');
        const body = this.loopBody();
        this.match('end', 'while', line);
        return { k: 'while', cond, body, line };
      }
      case 'do': {
        this.lx.next();
        const body = this.scopedBlock();
        this.match('end', 'do', line);
        return { k: 'do', body };
      }
      case 'for':
        return this.forstat(line);
      case 'repeat': {
        this.lx.next();
        this.openScope();
        this.fs.loops++;
        const body = this.block();
        this.fs.loops--;
        this.match('until', 'repeat', line);
        const cond = this.expr(); // sees the body's locals
        this.closeScope();
        return { k: 'repeat', body, cond, line };
      }
      case 'function':
        return this.funcstat(line);
      case 'local':
        this.lx.next();
        if (this.accept('function')) {
          const v = this.declare(this.name());
          this.activate([v]);
          return { k: 'localfunc', v, f: this.funcBody(false, line, v.name), line };
        }
        return this.localstat(line);
      default:
        return this.exprstat(line);
    }
  }

  private loopBody(): Stat[] {
    this.fs.loops++;
    const b = this.scopedBlock();
    this.fs.loops--;
    return b;
  }

  private ifstat(line: number): Stat {
    const conds: Expr[] = [];
    const blocks: Stat[][] = [];
    let orelse: Stat[] | null = null;
    do {
      this.lx.next(); // 'if' or 'elseif'
      conds.push(this.expr());
      this.expect('then');
      blocks.push(this.scopedBlock());
    } while (this.lx.kind === 'elseif');
    if (this.accept('else')) orelse = this.scopedBlock();
    this.match('end', 'if', line);
    return { k: 'if', conds, blocks, orelse, line };
  }

  private forstat(line: number): Stat {
    this.lx.next();
    const n1 = this.name();
    if (this.lx.kind === '=') {
      this.lx.next();
      const start = this.expr();
      this.expect(',');
      const limit = this.expr();
      const step = this.accept(',') ? this.expr() : null;
      this.expect('do');
      this.openScope();
      const v = this.declare(n1);
      this.activate([v]);
      this.fs.loops++;
      const body = this.block();
      this.fs.loops--;
      this.closeScope();
      this.match('end', 'for', line);
      return { k: 'numfor', v, start, limit, step, body, line };
    }
    if (this.lx.kind !== ',' && this.lx.kind !== 'in') this.lx.error("'=' or 'in' expected");
    const names = [n1];
    while (this.accept(',')) names.push(this.name());
    this.expect('in');
    const exprs = this.exprList();
    this.expect('do');
    this.openScope();
    const vars = names.map((n) => this.declare(n));
    this.activate(vars);
    this.fs.loops++;
    const body = this.block();
    this.fs.loops--;
    this.closeScope();
    this.match('end', 'for', line);
    return { k: 'genfor', vars, exprs, body, line };
  }

  private funcstat(line: number): Stat {
    this.lx.next();
    // funcname: Name {'.' Name} [':' Name]
    let target: Expr = this.resolve(this.name());
    let fullName = target.k === 'global' ? target.name : '?';
    let method = false;
    let links = 0;
    while (this.lx.kind === '.' || this.lx.kind === ':') {
      method = this.lx.kind === ':';
      this.lx.next();
      const key = this.name();
      this.enter();
      links++;
      target = { k: 'index', obj: target, key: { k: 'str', v: key }, line };
      fullName = key;
      if (method) break;
    }
    this.leave(links);
    const f = this.funcBody(method, line, fullName);
    return { k: 'assign', targets: [target], exprs: [{ k: 'func', f }], line };
  }

  private localstat(line: number): Stat {
    const vars: LocalVar[] = [];
    do vars.push(this.declare(this.name()));
    while (this.accept(','));
    const exprs = this.accept('=') ? this.exprList() : [];
    this.activate(vars);
    return { k: 'local', vars, exprs, line };
  }

  private exprstat(line: number): Stat {
    const e = this.suffixedExpr();
    if (this.lx.kind === '=' || this.lx.kind === ',') {
      const targets = [e];
      while (this.accept(',')) targets.push(this.suffixedExpr());
      for (const t of targets)
        if (t.k !== 'local' && t.k !== 'global' && t.k !== 'index') this.lx.error('syntax error');
      this.expect('=');
      const exprs = this.exprList();
      return { k: 'assign', targets, exprs, line };
    }
    if (e.k !== 'call' && e.k !== 'method') return this.lx.error('syntax error');
    return { k: 'call', e, line };
  }

  // ---- functions -----------------------------------------------------------------------------

  private funcBody(method: boolean, line: number, name: string): FuncBody {
    this.enter();
    const body: FuncBody = { params: [], vararg: false, body: [], line, name };
    const fs: FuncState = { body, scopes: [new Map()], active: 0, loops: 0 };
    this.outer.set(fs, this.fs);
    const saved = this.fs;
    this.fs = fs;
    const params: LocalVar[] = [];
    if (method) params.push(this.declare('self'));
    this.expect('(');
    if (this.lx.kind !== ')') {
      do {
        if (this.lx.kind === '...') {
          this.lx.next();
          body.vararg = true;
          break;
        }
        if (this.lx.kind !== 'name') this.lx.error("<name> or '...' expected");
        params.push(this.declare(this.name()));
      } while (this.accept(','));
    }
    body.params = params;
    this.activate(params);
    this.expect(')');
    body.body = this.block();
    this.match('end', 'function', line);
    this.fs = saved;
    this.outer.delete(fs);
    this.leave();
    return body;
  }

  // ---- expressions ---------------------------------------------------------------------------

  private exprList(): Expr[] {
    const out = [this.expr()];
    while (this.accept(',')) out.push(this.expr());
    return out;
  }

  expr(): Expr {
    return this.subexpr(0);
  }

  /** subexpr -> (simpleexp | unop subexpr) { binop subexpr } with binop priority > limit. */
  private subexpr(limit: number): Expr {
    this.enter();
    let e: Expr;
    const k = this.lx.kind;
    const line = this.lx.tokLine;
    if (k === 'not' || k === '-' || k === '#') {
      this.lx.next();
      const a = this.subexpr(UNARY_PRIORITY);
      e = k === 'not' ? { k: 'not', a } : k === '-' ? { k: 'neg', a, line } : { k: 'len', a, line };
    } else e = this.simpleExpr();
    let links = 0;
    for (;;) {
      const op = this.lx.kind;
      const pr = PRIORITY[op];
      if (pr === undefined || pr[0] <= limit) break;
      const opLine = this.lx.tokLine;
      this.lx.next();
      // Each link deepens the left-deep tree: count it as a level.
      this.enter();
      links++;
      const b = this.subexpr(pr[1]);
      if (op === 'and') e = { k: 'and', a: e, b };
      else if (op === 'or') e = { k: 'or', a: e, b };
      else e = { k: 'bin', op: op as BinOp, a: e, b, line: opLine };
    }
    this.leave(links + 1);
    return e;
  }

  private simpleExpr(): Expr {
    const lx = this.lx;
    let e: Expr;
    switch (lx.kind) {
      case 'number':
        e = { k: 'num', v: lx.value as number };
        break;
      case 'string':
        e = { k: 'str', v: lx.value as string };
        break;
      case 'nil':
        e = { k: 'nil' };
        break;
      case 'true':
        e = { k: 'true' };
        break;
      case 'false':
        e = { k: 'false' };
        break;
      case '...':
        if (!this.fs.body.vararg) lx.error("cannot use '...' outside a vararg function");
        e = { k: 'vararg' };
        break;
      case '{':
        return this.constructor_();
      case 'function': {
        const line = lx.tokLine;
        lx.next();
        return { k: 'func', f: this.funcBody(false, line, 'anonymous') };
      }
      default:
        return this.suffixedExpr();
    }
    lx.next();
    return e;
  }

  private primaryExpr(): Expr {
    const lx = this.lx;
    if (lx.kind === 'name') return this.resolve(this.name());
    if (lx.kind === '(') {
      const line = lx.tokLine;
      lx.next();
      const e = this.expr();
      this.match(')', '(', line);
      return { k: 'paren', e };
    }
    return lx.error('unexpected symbol');
  }

  private suffixedExpr(): Expr {
    const lx = this.lx;
    let e = this.primaryExpr();
    let links = 0;
    for (;;) {
      const line = lx.tokLine;
      switch (lx.kind) {
        case '.': {
          lx.next();
          e = { k: 'index', obj: e, key: { k: 'str', v: this.name() }, line };
          break;
        }
        case '[': {
          lx.next();
          const key = this.expr();
          this.expect(']');
          e = { k: 'index', obj: e, key, line };
          break;
        }
        case ':': {
          lx.next();
          const name = this.name();
          e = { k: 'method', obj: e, name, args: this.callArgs(), line };
          break;
        }
        case '(':
        case 'string':
        case '{':
          e = { k: 'call', fn: e, args: this.callArgs(), line };
          break;
        default:
          this.leave(links);
          return e;
      }
      this.enter();
      links++;
    }
  }

  private callArgs(): Expr[] {
    const lx = this.lx;
    if (lx.kind === 'string') {
      const v = lx.value as string;
      lx.next();
      return [{ k: 'str', v }];
    }
    if (lx.kind === '{') return [this.constructor_()];
    if (lx.kind !== '(') lx.error('function arguments expected');
    const line = lx.tokLine;
    lx.next();
    const args = lx.kind === ')' ? [] : this.exprList();
    this.match(')', '(', line);
    return args;
  }

  private constructor_(): Expr {
    const lx = this.lx;
    const line = lx.tokLine;
    this.enter();
    this.expect('{');
    const pos: Expr[] = [];
    const keyed: Array<[Expr, Expr]> = [];
    while (lx.kind !== '}') {
      if (lx.kind === 'name' && lx.peek() === '=') {
        const key: Expr = { k: 'str', v: this.name() };
        lx.next();
        keyed.push([key, this.expr()]);
      } else if (lx.kind === '[') {
        lx.next();
        const key = this.expr();
        this.expect(']');
        this.expect('=');
        keyed.push([key, this.expr()]);
      } else pos.push(this.expr());
      if (!this.accept(',') && !this.accept(';')) break;
    }
    this.match('}', '{', line);
    this.leave();
    return { k: 'table', pos, keyed, line };
  }
}

export { LuaSyntaxError };
