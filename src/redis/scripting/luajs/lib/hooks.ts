// What the stdlib needs from the engine that runs it (all optional).
import type { LuaTable, LuaValue } from '../value.js';

export interface StdlibHooks {
  /**
   * Called periodically from long-running library loops (pattern matching, sort); it may throw
   * (a LuaError, or the engine's own kill signal) to stop a script that runs past its time limit,
   * since a library call cannot be interrupted otherwise.
   */
  interrupt?: () => void;
  /** `t[k]` with metamethods, for gsub with a table replacement. Default: raw get, then __index. */
  index?: (t: LuaTable, k: LuaValue) => LuaValue;
  /** `a < b` with metamethods (__lt), for table.sort without a comparator. Default: numbers, strings. */
  lessThan?: (a: LuaValue, b: LuaValue) => boolean;
}
