// The AST the Lua 5.1 parser produces and the code generator consumes. Names are resolved while
// parsing: a local reference points at its declaration (LocalVar), so codegen needs no scopes.

/** One local variable declaration; `id` makes its JS name unique within the chunk. */
export interface LocalVar {
  readonly name: string;
  readonly id: number;
  /** The function that declares it (references from inner functions are upvalues). */
  readonly fn: FuncBody;
}

export type Expr =
  | { k: 'nil' }
  | { k: 'true' }
  | { k: 'false' }
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 'vararg' }
  | { k: 'func'; f: FuncBody }
  | { k: 'local'; v: LocalVar; up: boolean }
  | { k: 'global'; name: string }
  | { k: 'index'; obj: Expr; key: Expr; line: number }
  | { k: 'call'; fn: Expr; args: Expr[]; line: number }
  | { k: 'method'; obj: Expr; name: string; args: Expr[]; line: number }
  | { k: 'bin'; op: BinOp; a: Expr; b: Expr; line: number }
  | { k: 'and'; a: Expr; b: Expr }
  | { k: 'or'; a: Expr; b: Expr }
  | { k: 'not'; a: Expr }
  | { k: 'neg'; a: Expr; line: number }
  | { k: 'len'; a: Expr; line: number }
  | { k: 'paren'; e: Expr }
  | { k: 'table'; pos: Expr[]; keyed: Array<[Expr, Expr]>; line: number };

export type CallExpr = Extract<Expr, { k: 'call' | 'method' }>;

export type BinOp = '+' | '-' | '*' | '/' | '%' | '^' | '..' | '==' | '~=' | '<' | '<=' | '>' | '>=';

export type Stat =
  | { k: 'local'; vars: LocalVar[]; exprs: Expr[]; line: number }
  | { k: 'localfunc'; v: LocalVar; f: FuncBody; line: number }
  | { k: 'assign'; targets: Expr[]; exprs: Expr[]; line: number }
  | { k: 'call'; e: CallExpr; line: number }
  | { k: 'do'; body: Stat[] }
  | { k: 'while'; cond: Expr; body: Stat[]; line: number }
  | { k: 'repeat'; body: Stat[]; cond: Expr; line: number }
  | { k: 'if'; conds: Expr[]; blocks: Stat[][]; orelse: Stat[] | null; line: number }
  | {
      k: 'numfor';
      v: LocalVar;
      start: Expr;
      limit: Expr;
      step: Expr | null;
      body: Stat[];
      line: number;
    }
  | { k: 'genfor'; vars: LocalVar[]; exprs: Expr[]; body: Stat[]; line: number }
  | { k: 'return'; exprs: Expr[]; line: number }
  | { k: 'break' };

export interface FuncBody {
  params: LocalVar[];
  vararg: boolean;
  body: Stat[];
  line: number;
  /** Set by the parser: the function declares locals captured by inner functions. */
  name: string;
}
