/**
 * XML for S3: a string-building writer for responses and a small bounded parser for request bodies.
 *
 * API
 *   const w = new XmlWriter('ListBucketResult');     // declaration + root with the S3 xmlns
 *   w.leaf('Name', 'b').open('Contents').leaf('Key', k).close().toString();   // closes what is open
 *   parseXml(bytesOrString, limits?) → XmlElement    // root element; throws S3Error MalformedXML
 *   child(el, 'Name') / children(el, 'Name') / childText(el, 'Name')   lookup helpers
 *
 * Parser grammar (the subset S3 request bodies use; anything else is MalformedXML):
 *   document := BOM? misc* element misc*
 *   misc     := '<?' ... '?>' | '<!--' ... '-->' | whitespace
 *   element  := '<' Name (S Name S? '=' S? ('"' chars '"' | "'" chars "'"))* S? ('/>' | '>' content '</' Name S? '>')
 *   content  := (text | element | '<![CDATA[' ... ']]>' | misc)*
 *   text     := chars with entity refs &lt; &gt; &amp; &quot; &apos; &#N; &#xN;
 * DOCTYPE is refused (no entity expansion, no external fetches). Namespace prefixes are stripped
 * from element names (S3 ignores the namespace). Nesting uses an explicit stack bounded by
 * `depthMax`, so hostile input cannot overflow the JS stack.
 */
import { S3Error } from './errors.js';
import { xmlEscape } from './xml-escape.js';

export { xmlEscape };

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Default limits; each body parser passes its own byte limit (see bodies.ts). */
export const XML_BODY_BYTES_MAX_DEFAULT = 1024 * 1024;
export const XML_DEPTH_MAX = 16;
export const XML_ELEMENTS_MAX = 200_000;
export const XML_ATTRIBUTES_PER_ELEMENT_MAX = 32;
export const XML_NAME_LENGTH_MAX = 256;

export interface XmlLimits {
  readonly bytesMax?: number;
  readonly depthMax?: number;
  readonly elementsMax?: number;
}

export interface XmlElement {
  /** Local name (prefix stripped). */
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: XmlElement[];
  /** Concatenated character data directly inside this element, entities decoded, untrimmed. */
  text: string;
}

// ---------------------------------------------------------------- writer

export class XmlWriter {
  private out: string;
  private readonly stack: string[] = [];

  /** Starts a document whose root carries the S3 namespace (pass xmlns '' to omit it). */
  constructor(root: string, xmlns: string = S3_XMLNS) {
    this.out =
      '<?xml version="1.0" encoding="UTF-8"?>\n' + (xmlns ? `<${root} xmlns="${xmlns}">` : `<${root}>`);
    this.stack.push(root);
  }

  open(name: string): this {
    this.out += `<${name}>`;
    this.stack.push(name);
    return this;
  }

  close(): this {
    const name = this.stack.pop();
    if (name === undefined) throw new Error('XmlWriter.close with nothing open');
    this.out += `</${name}>`;
    return this;
  }

  /** `<name>value</name>`; undefined values are skipped so optional fields read naturally. */
  leaf(name: string, value: string | number | boolean | bigint | undefined): this {
    if (value === undefined) return this;
    this.out += `<${name}>${typeof value === 'string' ? xmlEscape(value) : String(value)}</${name}>`;
    return this;
  }

  /** Appends pre-escaped markup (the caller vouches for it). */
  raw(markup: string): this {
    this.out += markup;
    return this;
  }

  toString(): string {
    while (this.stack.length > 0) this.close();
    return this.out;
  }
}

// ---------------------------------------------------------------- parser helpers

export function child(el: XmlElement, name: string): XmlElement | undefined {
  for (const c of el.children) if (c.name === name) return c;
  return undefined;
}

export function children(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

export function childText(el: XmlElement, name: string): string | undefined {
  return child(el, name)?.text;
}

function malformed(detail?: string): S3Error {
  // AWS's message is fixed; the detail helps people reading our logs, not clients.
  const err = new S3Error('MalformedXML');
  if (detail) (err as { detail?: string }).detail = detail;
  return err;
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

function toText(input: Uint8Array | string, bytesMax: number): string {
  if (typeof input === 'string') {
    if (input.length > bytesMax) throw new S3Error('MaxMessageLengthExceeded');
    return input;
  }
  if (input.byteLength > bytesMax) throw new S3Error('MaxMessageLengthExceeded');
  try {
    return utf8Fatal.decode(input);
  } catch {
    throw malformed('invalid UTF-8');
  }
}

const NAME_START = /[A-Za-z_:\u00C0-\uFFFF]/;
const NAME_CHAR = /[A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFF]/;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function localName(qname: string): string {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
}

function decodeEntities(s: string): string {
  if (s.indexOf('&') < 0) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const amp = s.indexOf('&', i);
    if (amp < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, amp);
    const semi = s.indexOf(';', amp);
    if (semi < 0 || semi - amp > 12) throw malformed('bad entity');
    out += decodeEntity(s.slice(amp + 1, semi));
    i = semi + 1;
  }
  return out;
}

function decodeEntity(ent: string): string {
  switch (ent) {
    case 'lt':
      return '<';
    case 'gt':
      return '>';
    case 'amp':
      return '&';
    case 'quot':
      return '"';
    case 'apos':
      return "'";
  }
  let cp = NaN;
  if (/^#[0-9]{1,7}$/.test(ent)) cp = Number.parseInt(ent.slice(1), 10);
  else if (/^#x[0-9A-Fa-f]{1,6}$/.test(ent)) cp = Number.parseInt(ent.slice(2), 16);
  // S3 accepts C0 controls by reference (keys may contain them), but not NUL or surrogates.
  if (!(cp > 0 && cp <= 0x10ffff) || (cp >= 0xd800 && cp <= 0xdfff)) throw malformed('bad entity');
  return String.fromCodePoint(cp);
}

// ---------------------------------------------------------------- parser

interface ParseState {
  readonly src: string;
  pos: number;
  readonly stack: XmlElement[];
  /** Qualified names of the open elements, parallel to `stack`, for end-tag matching. */
  readonly qstack: string[];
  root: XmlElement | undefined;
  elements: number;
  readonly depthMax: number;
  readonly elementsMax: number;
}

/** Parses a whole (bounded) XML document and returns its root element. */
export function parseXml(input: Uint8Array | string, limits: XmlLimits = {}): XmlElement {
  const src = toText(input, limits.bytesMax ?? XML_BODY_BYTES_MAX_DEFAULT);
  const st: ParseState = {
    src,
    pos: src.charCodeAt(0) === 0xfeff ? 1 : 0,
    stack: [],
    qstack: [],
    root: undefined,
    elements: 0,
    depthMax: limits.depthMax ?? XML_DEPTH_MAX,
    elementsMax: limits.elementsMax ?? XML_ELEMENTS_MAX,
  };
  while (st.pos < src.length) step(st);
  if (st.stack.length > 0 || st.root === undefined) throw malformed('unexpected end');
  return st.root;
}

function step(st: ParseState): void {
  const { src } = st;
  const lt = src.indexOf('<', st.pos);
  const textEnd = lt < 0 ? src.length : lt;
  if (textEnd > st.pos) addText(st, src.slice(st.pos, textEnd), true);
  st.pos = textEnd;
  if (lt < 0) return;
  if (src.startsWith('<?', lt)) st.pos = skipPast(src, lt + 2, '?>');
  else if (src.startsWith('<!--', lt)) st.pos = skipPast(src, lt + 4, '-->');
  else if (src.startsWith('<![CDATA[', lt)) {
    const end = src.indexOf(']]>', lt + 9);
    if (end < 0) throw malformed('unterminated CDATA');
    addText(st, src.slice(lt + 9, end), false);
    st.pos = end + 3;
  } else if (src.startsWith('<!', lt)) throw malformed('DOCTYPE and declarations are not accepted');
  else if (src.startsWith('</', lt)) endTag(st, lt + 2);
  else startTag(st, lt + 1);
}

function skipPast(src: string, from: number, marker: string): number {
  const end = src.indexOf(marker, from);
  if (end < 0) throw malformed(`unterminated ${marker}`);
  return end + marker.length;
}

function addText(st: ParseState, raw: string, decode: boolean): void {
  const top = st.stack[st.stack.length - 1];
  if (top === undefined) {
    // Only whitespace may sit outside the root element.
    for (let i = 0; i < raw.length; i++)
      if (!isSpace(raw.charCodeAt(i))) throw malformed('text outside root');
    return;
  }
  top.text += decode ? decodeEntities(raw) : raw;
}

function readName(st: ParseState): string {
  const { src } = st;
  const start = st.pos;
  if (!NAME_START.test(src.charAt(start))) throw malformed('bad name');
  let i = start + 1;
  while (i < src.length && NAME_CHAR.test(src.charAt(i))) i++;
  if (i - start > XML_NAME_LENGTH_MAX) throw malformed('name too long');
  st.pos = i;
  return src.slice(start, i);
}

function skipSpace(st: ParseState): void {
  while (st.pos < st.src.length && isSpace(st.src.charCodeAt(st.pos))) st.pos++;
}

function startTag(st: ParseState, from: number): void {
  st.pos = from;
  const qname = readName(st);
  const attrs: Record<string, string> = Object.create(null) as Record<string, string>;
  let attrCount = 0;
  for (;;) {
    const hadSpace = st.pos < st.src.length && isSpace(st.src.charCodeAt(st.pos));
    skipSpace(st);
    const c = st.src.charAt(st.pos);
    if (c === '>' || c === '/') break;
    if (!hadSpace || c === '') throw malformed('bad start tag');
    if (++attrCount > XML_ATTRIBUTES_PER_ELEMENT_MAX) throw malformed('too many attributes');
    const [name, value] = readAttribute(st);
    attrs[name] = value;
  }
  const selfClosing = st.src.charAt(st.pos) === '/';
  if (selfClosing && st.src.charAt(st.pos + 1) !== '>') throw malformed('bad empty-element tag');
  st.pos += selfClosing ? 2 : 1;
  openElement(st, { name: localName(qname), attrs, children: [], text: '' }, qname, selfClosing);
}

function readAttribute(st: ParseState): [string, string] {
  const name = readName(st);
  skipSpace(st);
  if (st.src.charAt(st.pos) !== '=') throw malformed('attribute without value');
  st.pos++;
  skipSpace(st);
  const quote = st.src.charAt(st.pos);
  if (quote !== '"' && quote !== "'") throw malformed('unquoted attribute');
  const end = st.src.indexOf(quote, st.pos + 1);
  if (end < 0) throw malformed('unterminated attribute');
  const raw = st.src.slice(st.pos + 1, end);
  if (raw.includes('<')) throw malformed('< in attribute');
  st.pos = end + 1;
  return [name, decodeEntities(raw)];
}

function openElement(st: ParseState, el: XmlElement, qname: string, selfClosing: boolean): void {
  if (++st.elements > st.elementsMax) throw malformed('too many elements');
  const parent = st.stack[st.stack.length - 1];
  if (parent) parent.children.push(el);
  else if (st.root) throw malformed('second root element');
  else st.root = el;
  if (selfClosing) return;
  if (st.stack.length >= st.depthMax) throw malformed('too deep');
  st.stack.push(el);
  st.qstack.push(qname);
}

function endTag(st: ParseState, from: number): void {
  st.pos = from;
  const qname = readName(st);
  skipSpace(st);
  if (st.src.charAt(st.pos) !== '>') throw malformed('bad end tag');
  st.pos++;
  if (st.qstack.pop() !== qname) throw malformed('mismatched end tag');
  st.stack.pop();
}
