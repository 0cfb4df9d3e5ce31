/**
 * Streaming multipart/form-data reader for browser-form (presigned POST) uploads.
 *
 * API
 *   parseFormBoundary(contentType) → boundary     (RequestIsNotMultiPartContent / MalformedPOSTRequest)
 *   readPostForm(body, contentType) → Promise<{ fields, file }>
 *     fields: Map of the form fields before the file part (names lower-cased; S3 field names are
 *             case-insensitive), file: { filename, contentType?, data: AsyncIterable<Buffer> }
 *     `file.data` must be consumed (it streams the file part and then drains the rest of the body,
 *     ignoring fields after the file as S3 does). Nothing is buffered beyond one input chunk.
 *   scanMultipart(body, boundary) → AsyncGenerator of part / data / end-part events (lower level)
 *
 * Grammar (RFC 7578 / RFC 2046):
 *   body      := preamble? '--' B CRLF part (CRLF '--' B CRLF part)* CRLF '--' B '--' epilogue?
 *   part      := (header CRLF)* CRLF data
 * The scanner keeps only a tail shorter than the delimiter between input chunks, so a delimiter
 * split across chunks is still found; data before the tail is emitted as zero-copy slices.
 */
import { S3Error } from './errors.js';

/** S3 rejects POST requests whose fields before the file exceed 20 KB. */
export const POST_PRE_DATA_BYTES_MAX = 20 * 1024;
export const PART_HEADERS_BYTES_MAX = 8 * 1024;
export const FORM_FIELDS_MAX = 100;
const BOUNDARY_LENGTH_MAX = 200;

export type FormEvent =
  | {
      readonly type: 'part';
      readonly name: string;
      readonly filename?: string;
      readonly contentType?: string;
    }
  | { readonly type: 'data'; readonly data: Buffer }
  | { readonly type: 'end-part' };

export interface PostForm {
  readonly fields: Map<string, string>;
  readonly file: {
    readonly filename: string;
    readonly contentType?: string;
    readonly data: AsyncIterable<Buffer>;
  };
}

function malformed(): S3Error {
  return new S3Error('MalformedPOSTRequest');
}

export function parseFormBoundary(contentType: string | undefined): string {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType))
    throw new S3Error('RequestIsNotMultiPartContent');
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2];
  if (!b || b.length > BOUNDARY_LENGTH_MAX) throw malformed();
  return b;
}

const enum S {
  Preamble,
  AfterBoundary,
  Headers,
  Body,
  Epilogue,
}

function parsePartHeaders(block: string): Extract<FormEvent, { type: 'part' }> {
  let name: string | undefined;
  let filename: string | undefined;
  let contentType: string | undefined;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed();
    const hname = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (hname === 'content-type') contentType = value;
    if (hname !== 'content-disposition') continue;
    if (!/^form-data\b/i.test(value)) throw malformed();
    name = /;\s*name="([^"]*)"/i.exec(value)?.[1] ?? /;\s*name=([^;\s]+)/i.exec(value)?.[1];
    filename = /;\s*filename="([^"]*)"/i.exec(value)?.[1] ?? /;\s*filename=([^;\s]+)/i.exec(value)?.[1];
  }
  if (name === undefined) throw malformed();
  const ev: { type: 'part'; name: string; filename?: string; contentType?: string } = { type: 'part', name };
  if (filename !== undefined) ev.filename = filename;
  if (contentType !== undefined) ev.contentType = contentType;
  return ev;
}

/** Low-level event stream over a multipart body. Throws MalformedPOSTRequest on bad framing. */
export async function* scanMultipart(
  body: AsyncIterable<Uint8Array>,
  boundary: string,
): AsyncGenerator<FormEvent> {
  const dashBoundary = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let state: S = S.Preamble;
  let tail: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    const buf: Buffer =
      tail.length === 0
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        : Buffer.concat([tail, chunk]);
    tail = Buffer.alloc(0);
    let pos = 0;
    while (pos < buf.length) {
      if (state === S.Epilogue) {
        pos = buf.length;
      } else if (state === S.Preamble) {
        // The first boundary may start the body or follow a preamble line.
        const at = buf.indexOf(dashBoundary, pos);
        if (at < 0) {
          tail = Buffer.from(buf.subarray(Math.max(pos, buf.length - dashBoundary.length)));
          if (buf.length > PART_HEADERS_BYTES_MAX) throw malformed();
          pos = buf.length;
        } else {
          pos = at + dashBoundary.length;
          state = S.AfterBoundary;
        }
      } else if (state === S.AfterBoundary) {
        if (buf.length - pos < 2) {
          tail = Buffer.from(buf.subarray(pos));
          pos = buf.length;
        } else if (buf[pos] === 0x2d && buf[pos + 1] === 0x2d) {
          state = S.Epilogue;
          pos += 2;
        } else if (buf[pos] === 0x0d && buf[pos + 1] === 0x0a) {
          state = S.Headers;
          pos += 2;
        } else throw malformed();
      } else if (state === S.Headers) {
        const end = buf.indexOf('\r\n\r\n', pos);
        if (end < 0) {
          if (buf.length - pos > PART_HEADERS_BYTES_MAX) throw malformed();
          tail = Buffer.from(buf.subarray(pos));
          pos = buf.length;
        } else {
          if (end - pos > PART_HEADERS_BYTES_MAX) throw malformed();
          yield parsePartHeaders(buf.toString('utf8', pos, end));
          pos = end + 4;
          state = S.Body;
        }
      } else {
        const at = buf.indexOf(delimiter, pos);
        if (at < 0) {
          // Keep what could be the start of a delimiter; emit the rest.
          const keep = Math.min(buf.length - pos, delimiter.length - 1);
          const emitEnd = buf.length - keep;
          if (emitEnd > pos) yield { type: 'data', data: buf.subarray(pos, emitEnd) };
          tail = Buffer.from(buf.subarray(emitEnd)); // small copy: `buf` may be reused by the source
          pos = buf.length;
        } else {
          if (at > pos) yield { type: 'data', data: buf.subarray(pos, at) };
          yield { type: 'end-part' };
          pos = at + delimiter.length;
          state = S.AfterBoundary;
        }
      }
    }
  }
  if (state !== S.Epilogue) throw malformed();
}

/** Reads the fields up to the file part; the file part and the rest stream through `file.data`. */
export async function readPostForm(
  body: AsyncIterable<Uint8Array>,
  contentType: string | undefined,
): Promise<PostForm> {
  const events = scanMultipart(body, parseFormBoundary(contentType));
  const fields = new Map<string, string>();
  let preBytes = 0;
  let current: { name: string; parts: Buffer[] } | undefined;
  for (;;) {
    const { value: ev, done } = await events.next();
    if (done) throw new S3Error('IncorrectNumberOfFilesInPostRequest');
    if (ev.type === 'part') {
      if (ev.name.toLowerCase() === 'file') {
        const file: { filename: string; contentType?: string; data: AsyncIterable<Buffer> } = {
          filename: ev.filename ?? '',
          data: fileData(events),
        };
        if (ev.contentType !== undefined) file.contentType = ev.contentType;
        return { fields, file };
      }
      if (fields.size >= FORM_FIELDS_MAX) throw malformed();
      current = { name: ev.name.toLowerCase(), parts: [] };
    } else if (ev.type === 'data') {
      preBytes += ev.data.length;
      if (preBytes > POST_PRE_DATA_BYTES_MAX) throw new S3Error('MaxPostPreDataLengthExceededError');
      current?.parts.push(Buffer.from(ev.data));
    } else if (current) {
      fields.set(current.name, Buffer.concat(current.parts).toString('utf8'));
      current = undefined;
    }
  }
}

async function* fileData(events: AsyncGenerator<FormEvent>): AsyncGenerator<Buffer> {
  let inFile = true;
  for await (const ev of events) {
    if (!inFile) continue; // parts after the file are ignored, but the body is still validated
    if (ev.type === 'data') yield ev.data;
    else if (ev.type === 'end-part') inFile = false;
  }
}
