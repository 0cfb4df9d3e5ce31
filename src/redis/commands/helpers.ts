/** Small helpers shared by command families: typed lookups that reply WRONGTYPE, TTL parsing. */
import type { Client } from '../client.js';
import { Deque } from '../engine/deque.js';
import type { RedisValue } from '../engine/keyspace.js';
import { MutableString } from '../engine/mutable-string.js';
import { ZSet } from '../engine/zset.js';
import { E_WRONGTYPE } from './errors.js';

/** Sentinel returned by typed lookups after they replied WRONGTYPE. */
export const WRONG = Symbol('wrongtype');

export function strValue(v: RedisValue): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof MutableString) return v.toString();
  return null;
}

/** Reads a string value: the string, undefined when missing, WRONG after replying WRONGTYPE. */
export function getStr(c: Client, key: string): string | undefined | typeof WRONG {
  const v = c.db.get(key);
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (v instanceof MutableString) return v.toString();
  c.reply.error(E_WRONGTYPE);
  return WRONG;
}

type Ctor<T> = abstract new (...args: never[]) => T;

function typed<T>(c: Client, v: RedisValue | undefined, ctor: Ctor<T>): T | undefined | typeof WRONG {
  if (v === undefined) return undefined;
  if (v instanceof ctor) return v;
  c.reply.error(E_WRONGTYPE);
  return WRONG;
}

export const getList = (c: Client, key: string): Deque<string> | undefined | typeof WRONG => typed(c, c.db.get(key), Deque<string>);
export const getListW = (c: Client, key: string): Deque<string> | undefined | typeof WRONG => typed(c, c.db.getWrite(key), Deque<string>);
export const getHash = (c: Client, key: string): Map<string, string> | undefined | typeof WRONG =>
  typed(c, c.db.get(key), Map<string, string>);
export const getHashW = (c: Client, key: string): Map<string, string> | undefined | typeof WRONG =>
  typed(c, c.db.getWrite(key), Map<string, string>);
export const getSet = (c: Client, key: string): Set<string> | undefined | typeof WRONG => typed(c, c.db.get(key), Set<string>);
export const getSetW = (c: Client, key: string): Set<string> | undefined | typeof WRONG => typed(c, c.db.getWrite(key), Set<string>);
export const getZset = (c: Client, key: string): ZSet | undefined | typeof WRONG => typed(c, c.db.get(key), ZSet);
export const getZsetW = (c: Client, key: string): ZSet | undefined | typeof WRONG => typed(c, c.db.getWrite(key), ZSet);

/** Number formatting for values Redis stores from integers. */
export function intStr(n: number | bigint): string {
  return typeof n === 'bigint' ? n.toString() : String(n);
}

/** Redis's long double formatting for INCRBYFLOAT/HINCRBYFLOAT: %.17Lg, trailing zeros removed. */
export function formatLongDouble(d: number): string {
  if (Number.isInteger(d) && Math.abs(d) < 1e17) return String(d);
  let s = d.toPrecision(17);
  if (s.includes('e')) {
    // Match C's exponent form without trailing zeros in the mantissa.
    const [m, e] = s.split('e') as [string, string];
    let mm = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    if (mm === '') mm = '0';
    const exp = Number(e);
    s = `${mm}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    return s;
  }
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  // toPrecision(17) may show binary noise (0.1 → 0.10000000000000001); prefer the shortest form
  // when it round-trips, which is what Redis prints for such values in practice.
  const short = String(d);
  return !short.includes('e') && Number(short) === d && short.length < s.length ? short : s;
}
