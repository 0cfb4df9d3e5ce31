/**
 * The compression codecs, imported on first need rather than at broker start (gzip via zlib, fzstd,
 * and our snappy and lz4 code were about 15 ms of start-up, and many brokers never see a
 * compressed batch that they must look inside: batches are stored as received).
 *
 * `loadCompression()` is awaited by whatever will need the codecs before it runs (the Produce and
 * ListOffsets handlers when first loaded, the log cleaner on each pass); after that the
 * synchronous `decompress` / `compress` here call straight through. Calling them before any load
 * is a programmer error and throws.
 */
import type * as Codecs from './index.js';

let codecs: typeof Codecs | null = null;
let loading: Promise<void> | null = null;

export function loadCompression(): Promise<void> {
  loading ??= import('./index.js').then((m) => {
    codecs = m;
  });
  return loading;
}

function loaded(): typeof Codecs {
  if (codecs === null) throw new Error('compression codecs used before loadCompression() finished');
  return codecs;
}

export function decompress(type: number, data: Buffer): Buffer {
  return type === 0 ? data : loaded().decompress(type, data);
}

export function compress(type: number, data: Buffer): Buffer {
  return type === 0 ? data : loaded().compress(type, data);
}
