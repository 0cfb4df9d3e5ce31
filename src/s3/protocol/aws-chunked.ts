/**
 * Streaming decoder for `Content-Encoding: aws-chunked` request bodies (all four streaming modes).
 *
 * API
 *   const opts = awsChunkedOptions(authResult, req.headersDistinct)   // undefined: not aws-chunked
 *   const d = decodeAwsChunked(req, opts)  // { chunks: AsyncIterable<Buffer>, trailers: Map, parser }
 *   or: pipeline(req, new AwsChunkedDecoder(opts), fileSink)   (node:stream Transform form)
 *   storedContentEncoding(header)        // Content-Encoding without the aws-chunked token
 *   after the last chunk (parser or decoder):
 *     .trailers      Map { 'x-amz-checksum-crc32' => 'base64', ... }
 *     .checksum      { algorithm, base64 } verified against the data, if x-amz-trailer named one
 *     .decodedBytes
 *   Errors (S3Error, thrown from the iteration or the stream's 'error'): SignatureDoesNotMatch (chunk or trailer signature),
 *   IncompleteBody (truncated, or decoded length differs), InvalidRequest (bad framing or trailer),
 *   BadDigest (trailer checksum differs from the data), InvalidChunkSizeError (signed chunk < 8 KiB
 *   that is not the last). Data is passed on before its chunk signature is checked (nothing is
 *   buffered), so the consumer must commit only after the stream ends without error.
 *
 * Grammar (CRLF line ends; sizes in hex):
 *   body        := chunk* last-chunk trailer* CRLF
 *   chunk       := hex-size [';chunk-signature=' sig] CRLF data CRLF
 *   last-chunk  := '0' [';chunk-signature=' sig] CRLF
 *   trailer     := name ':' value CRLF          (x-amz-checksum-*, x-amz-trailer-signature)
 * Signatures chain: each chunk's string to sign includes the previous signature, starting from
 * the request's seed signature:
 *   AWS4-HMAC-SHA256-PAYLOAD \n date \n scope \n prev \n sha256("") \n sha256(data)
 *   AWS4-HMAC-SHA256-TRAILER \n date \n scope \n prev \n sha256("name:value\n"...)
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import {
  checksumHeaderName,
  createChecksum,
  parseChecksumAlgorithm,
  validateChecksumValue,
  verifyChecksum,
  type ChecksumAlgorithm,
  type IncrementalHash,
} from './checksums.js';
import { S3Error } from './errors.js';
import {
  EMPTY_SHA256_HEX,
  headerString,
  hmacHex,
  sha256Hex,
  signaturesEqual,
  type AuthResult,
  type ChunkSigningContext,
  type HeaderBag,
} from './sigv4.js';

/** A chunk header is `hex;chunk-signature=<64 hex>`: ~100 bytes; extensions get some room. */
export const CHUNK_HEADER_BYTES_MAX = 4096;
/** All trailer lines together. */
export const TRAILER_BYTES_MAX = 16 * 1024;
export const TRAILER_LINES_MAX = 32;
/** Signed chunks other than the last must carry at least this much data (S3's rule). */
export const SIGNED_CHUNK_BYTES_MIN = 8192;
/** Hex digits in a chunk size: 5 GiB needs 9; 12 keeps sizes far inside Number's safe range. */
const CHUNK_SIZE_HEX_DIGITS_MAX = 12;

export interface AwsChunkedOptions {
  /** Present for STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) with a verified request signature. */
  readonly signing?: ChunkSigningContext;
  /** Whether chunk headers carry signatures (true for the signed modes even when unverifiable). */
  readonly signedFraming?: boolean;
  /** The mode ends with trailer headers (…-TRAILER modes). */
  readonly trailer: boolean;
  /** `x-amz-decoded-content-length`; checked at the end when given. */
  readonly decodedContentLength?: number;
  /** `x-amz-trailer` request header: the trailer that must arrive (e.g. x-amz-checksum-crc32). */
  readonly declaredTrailer?: string;
  /** Verify the declared checksum trailer against the data here (default true); set false when
   *  the caller already hashes the body with that algorithm and compares itself. */
  readonly verifyTrailerChecksum?: boolean;
}

const enum State {
  Header,
  Data,
  DataCrlf,
  Trailer,
  Done,
}

function framing(message: string): S3Error {
  return new S3Error('InvalidRequest', { message: `Invalid aws-chunked body: ${message}` });
}

/**
 * The push parser behind both stream forms: feed() appends decoded zero-copy slices to `out`,
 * end() runs the final checks. Throws S3Error.
 */
export class AwsChunkedParser {
  readonly trailers = new Map<string, string>();
  checksum: { algorithm: ChecksumAlgorithm; base64: string } | undefined;
  decodedBytes = 0;

  private state = State.Header;
  private readonly line = Buffer.allocUnsafe(CHUNK_HEADER_BYTES_MAX);
  private lineLen = 0;
  private remaining = 0;
  private crlfSeen = 0;
  private chunkSignature = '';
  private prevSignature: string;
  private chunkHash: Hash | undefined;
  private lastDataChunkSize = -1;
  private trailerBytes = 0;
  private trailerLines: string[] = [];
  private readonly trailerAlgorithm: ChecksumAlgorithm | undefined;
  private readonly dataChecksum: IncrementalHash | undefined;
  private readonly signed: boolean;

  private out: Buffer[] = [];

  constructor(private readonly opts: AwsChunkedOptions) {
    this.signed = opts.signedFraming ?? opts.signing !== undefined;
    this.prevSignature = opts.signing?.seedSignature ?? '';
    if (opts.declaredTrailer !== undefined) {
      const name = opts.declaredTrailer.trim().toLowerCase();
      const alg = name.startsWith('x-amz-checksum-')
        ? parseChecksumAlgorithm(name.slice('x-amz-checksum-'.length))
        : undefined;
      if (!alg)
        throw new S3Error('InvalidRequest', {
          message: `The value specified in the x-amz-trailer header is not supported`,
        });
      this.trailerAlgorithm = alg;
      this.dataChecksum = opts.verifyTrailerChecksum === false ? undefined : createChecksum(alg);
    }
  }

  feed(buf: Buffer, out: Buffer[]): void {
    this.out = out;
    let pos = 0;
    while (pos < buf.length) {
      switch (this.state) {
        case State.Header:
        case State.Trailer:
          pos = this.readLine(buf, pos);
          break;
        case State.Data:
          pos = this.readData(buf, pos);
          break;
        case State.DataCrlf:
          pos = this.readCrlf(buf, pos);
          break;
        case State.Done:
          throw framing('data after the final chunk');
      }
    }
  }

  end(): void {
    // Tolerate a missing final CRLF after the trailers (the data is complete and verified).
    if (this.state === State.Trailer && this.lineLen === 0) this.finishTrailers();
    if (this.state !== State.Done) throw new S3Error('IncompleteBody');
  }

  /** Accumulates one CRLF-terminated line into the fixed line buffer, then dispatches it. */
  private readLine(buf: Buffer, pos: number): number {
    const nl = buf.indexOf(0x0a, pos);
    const end = nl < 0 ? buf.length : nl;
    const n = end - pos;
    if (this.lineLen + n > CHUNK_HEADER_BYTES_MAX) throw framing('header line too long');
    buf.copy(this.line, this.lineLen, pos, end);
    this.lineLen += n;
    if (nl < 0) return buf.length;
    if (this.lineLen === 0 || this.line[this.lineLen - 1] !== 0x0d)
      throw framing('line not terminated by CRLF');
    const text = this.line.toString('latin1', 0, this.lineLen - 1);
    this.lineLen = 0;
    if (this.state === State.Header) this.onChunkHeader(text);
    else this.onTrailerLine(text);
    return nl + 1;
  }

  private onChunkHeader(text: string): void {
    const semi = text.indexOf(';');
    const hex = semi < 0 ? text : text.slice(0, semi);
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length > CHUNK_SIZE_HEX_DIGITS_MAX)
      throw framing('bad chunk size');
    const size = Number.parseInt(hex, 16);
    this.chunkSignature = '';
    if (semi >= 0) {
      const ext = /(?:^|;)chunk-signature=([0-9a-f]{64})(?:;|$)/.exec(text.slice(semi));
      if (ext) this.chunkSignature = ext[1]!;
    }
    if (this.signed && this.chunkSignature === '') throw framing('missing chunk-signature');
    if (
      this.signed &&
      size > 0 &&
      this.lastDataChunkSize >= 0 &&
      this.lastDataChunkSize < SIGNED_CHUNK_BYTES_MIN
    )
      throw new S3Error('InvalidChunkSizeError');
    if (
      this.opts.decodedContentLength !== undefined &&
      this.decodedBytes + size > this.opts.decodedContentLength
    ) {
      throw new S3Error('IncompleteBody', {
        message: 'The decoded content is longer than x-amz-decoded-content-length',
      });
    }
    this.chunkHash = this.opts.signing ? createHash('sha256') : undefined;
    if (size === 0) {
      this.verifyChunk(EMPTY_SHA256_HEX);
      this.state = State.Trailer;
      return;
    }
    this.lastDataChunkSize = size;
    this.remaining = size;
    this.state = State.Data;
  }

  private readData(buf: Buffer, pos: number): number {
    const take = Math.min(this.remaining, buf.length - pos);
    const slice = buf.subarray(pos, pos + take);
    this.chunkHash?.update(slice);
    this.dataChecksum?.update(slice);
    this.decodedBytes += take;
    this.remaining -= take;
    this.out.push(slice);
    if (this.remaining === 0) {
      this.crlfSeen = 0;
      this.state = State.DataCrlf;
    }
    return pos + take;
  }

  private readCrlf(buf: Buffer, pos: number): number {
    const want = this.crlfSeen === 0 ? 0x0d : 0x0a;
    if (buf[pos] !== want) throw framing('chunk data not followed by CRLF');
    if (++this.crlfSeen === 2) {
      this.verifyChunk(this.chunkHash ? this.chunkHash.digest('hex') : '');
      this.state = State.Header;
    }
    return pos + 1;
  }

  private verifyChunk(dataSha256Hex: string): void {
    const s = this.opts.signing;
    if (!s) return;
    const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${s.amzDate}\n${s.scope}\n${this.prevSignature}\n${EMPTY_SHA256_HEX}\n${dataSha256Hex}`;
    if (!signaturesEqual(hmacHex(s.signingKey, sts), this.chunkSignature)) {
      throw new S3Error('SignatureDoesNotMatch', {
        fields: { StringToSign: sts, SignatureProvided: this.chunkSignature },
      });
    }
    this.prevSignature = this.chunkSignature;
  }

  private onTrailerLine(text: string): void {
    if (text === '') {
      this.finishTrailers();
      return;
    }
    if (!this.opts.trailer) throw framing('trailer not expected in this payload mode');
    this.trailerBytes += text.length + 2;
    if (this.trailerBytes > TRAILER_BYTES_MAX || this.trailerLines.length >= TRAILER_LINES_MAX)
      throw framing('trailer too large');
    const colon = text.indexOf(':');
    if (colon <= 0) throw framing('bad trailer line');
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') this.chunkSignature = value;
    else this.trailerLines.push(`${name}:${value}\n`);
    this.trailers.set(name, value);
  }

  private finishTrailers(): void {
    this.verifyTrailerSignature();
    const { decodedContentLength } = this.opts;
    if (decodedContentLength !== undefined && this.decodedBytes !== decodedContentLength) {
      throw new S3Error('IncompleteBody');
    }
    if (this.trailerAlgorithm) {
      // The declared trailer must arrive and be well formed even when the caller compares values.
      const name = checksumHeaderName(this.trailerAlgorithm);
      const sent = this.trailers.get(name);
      if (sent === undefined)
        throw new S3Error('InvalidRequest', {
          message: `x-amz-trailer was declared but ${name} was not sent in the trailer`,
        });
      validateChecksumValue(this.trailerAlgorithm, sent);
      if (this.dataChecksum) {
        const actual = this.dataChecksum.digest().toString('base64');
        verifyChecksum(this.trailerAlgorithm, sent, actual);
        this.checksum = { algorithm: this.trailerAlgorithm, base64: actual };
      }
    }
    this.state = State.Done;
  }

  private verifyTrailerSignature(): void {
    const s = this.opts.signing;
    if (!s || !this.opts.trailer) return;
    const provided = this.trailers.get('x-amz-trailer-signature');
    if (provided === undefined) throw framing('missing x-amz-trailer-signature');
    const sts = `AWS4-HMAC-SHA256-TRAILER\n${s.amzDate}\n${s.scope}\n${this.prevSignature}\n${sha256Hex(this.trailerLines.join(''))}`;
    if (!signaturesEqual(hmacHex(s.signingKey, sts), provided.toLowerCase())) {
      throw new S3Error('SignatureDoesNotMatch', {
        fields: { StringToSign: sts, SignatureProvided: provided },
      });
    }
  }
}

/** node:stream form: `pipeline(req, new AwsChunkedDecoder(opts), sink)`. */
export class AwsChunkedDecoder extends Transform {
  readonly parser: AwsChunkedParser;

  constructor(opts: AwsChunkedOptions) {
    super();
    this.parser = new AwsChunkedParser(opts);
  }

  get trailers(): Map<string, string> {
    return this.parser.trailers;
  }
  get checksum(): { algorithm: ChecksumAlgorithm; base64: string } | undefined {
    return this.parser.checksum;
  }
  get decodedBytes(): number {
    return this.parser.decodedBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      const out: Buffer[] = [];
      this.parser.feed(chunk, out);
      for (const s of out) this.push(s);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.parser.end();
      done();
    } catch (err) {
      done(err as Error);
    }
  }
}

/**
 * Async-iterable form: `const d = decodeAwsChunked(req, opts)`; iterate `d.chunks` (back-pressure
 * is the consumer's pace); after the loop `d.parser.trailers` / `.checksum` / `.decodedBytes` hold
 * the results (`d.trailers` is the same Map). Errors are thrown from the iteration.
 */
export function decodeAwsChunked(
  src: AsyncIterable<Uint8Array>,
  opts: AwsChunkedOptions,
): { chunks: AsyncIterable<Buffer>; trailers: Map<string, string>; parser: AwsChunkedParser } {
  const parser = new AwsChunkedParser(opts);
  async function* run(): AsyncGenerator<Buffer> {
    const out: Buffer[] = [];
    for await (const c of src) {
      out.length = 0;
      parser.feed(Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength), out);
      for (const s of out) yield s;
    }
    parser.end();
  }
  return { chunks: run(), trailers: parser.trailers, parser };
}

/**
 * Decoder options from the authentication result and request headers: signing context, trailer
 * mode, x-amz-decoded-content-length (MissingContentLength when absent, as S3 answers) and
 * x-amz-trailer. Returns undefined when the payload is not aws-chunked.
 */
export function awsChunkedOptions(
  auth: AuthResult,
  headers: HeaderBag,
  verifyTrailerChecksum = true,
): AwsChunkedOptions | undefined {
  if (auth.payload.kind !== 'aws-chunked') return undefined;
  const decoded = headerString(headers, 'x-amz-decoded-content-length');
  if (decoded === undefined || !/^\d{1,15}$/.test(decoded.trim())) throw new S3Error('MissingContentLength');
  const declaredTrailer = headerString(headers, 'x-amz-trailer');
  const opts: { -readonly [K in keyof AwsChunkedOptions]: AwsChunkedOptions[K] } = {
    trailer: auth.payload.trailer,
    signedFraming: auth.payload.signed,
    decodedContentLength: Number(decoded.trim()),
    verifyTrailerChecksum,
  };
  if (auth.chunkSigning) opts.signing = auth.chunkSigning;
  if (declaredTrailer !== undefined && declaredTrailer.trim() !== '') opts.declaredTrailer = declaredTrailer;
  return opts;
}

/** Content-Encoding to store: S3 drops the `aws-chunked` token (undefined when nothing is left). */
export function storedContentEncoding(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const rest = header
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && t.toLowerCase() !== 'aws-chunked');
  return rest.length === 0 ? undefined : rest.join(', ');
}
