/** Shape of one entry of command-table.generated.ts (see scripts/gen-redis-commands.ts). */
export interface KeySpec {
  readonly flags: readonly string[];
  readonly bs:
    | { readonly type: 'index'; readonly pos: number }
    | { readonly type: 'keyword'; readonly keyword: string; readonly startfrom: number }
    | { readonly type: 'unknown' };
  readonly fk:
    | { readonly type: 'range'; readonly lastkey: number; readonly step: number; readonly limit: number }
    | { readonly type: 'keynum'; readonly keynumidx: number; readonly firstkey: number; readonly step: number }
    | { readonly type: 'unknown' };
  readonly notes?: string;
}

export interface CommandDoc {
  readonly summary: string;
  readonly since: string;
  readonly group: string;
  readonly complexity?: string;
  readonly docFlags?: readonly string[];
  readonly deprecatedSince?: string;
  readonly replacedBy?: string;
  readonly history?: ReadonlyArray<readonly [string, string]>;
  readonly arguments?: readonly unknown[];
}

export interface CommandSpec {
  /** Lower-case name; a subcommand's name is its own (e.g. "get" with container "config"). */
  readonly name: string;
  readonly container?: string;
  readonly arity: number;
  /** Lower-case flags as COMMAND INFO prints them (write, readonly, denyoom, fast, movablekeys ...). */
  readonly flags: readonly string[];
  readonly first: number;
  readonly last: number;
  readonly step: number;
  /** ACL categories without '@', implicit ones included. */
  readonly categories: readonly string[];
  readonly tips: readonly string[];
  readonly keySpecs: readonly KeySpec[];
  readonly doc: CommandDoc;
}
