// tostring for values without a __tostring metamethod (the engine handles metatables itself).
import { LuaTable, type LuaValue } from '../value.js';
import { luaNumberToString } from './format.js';

/** Fake addresses: stable per object, 12 hex digits like a 64-bit Lua build prints with %p. */
const ADDRESS_BASE = 0x55a0c0de0000;
const ADDRESS_STEP = 0x40;
const addresses = new WeakMap<object, string>();
let nextAddress = ADDRESS_BASE;

function address(o: object): string {
  let a = addresses.get(o);
  if (a === undefined) {
    a = '0x' + nextAddress.toString(16);
    nextAddress += ADDRESS_STEP;
    addresses.set(o, a);
  }
  return a;
}

/** Lua 5.1's tostring without metamethods: "nil", "true", "%.14g", "table: 0x…", … */
export function luaToString(v: LuaValue): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return luaNumberToString(v);
    case 'undefined':
      return 'nil';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'function':
      return 'function: ' + address(v);
    default:
      return (v instanceof LuaTable ? 'table: ' : 'userdata: ') + address(v);
  }
}
