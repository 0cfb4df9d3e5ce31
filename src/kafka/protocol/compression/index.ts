/**
 * Batch compression codecs by Kafka's attribute value: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
 * The broker stores batches as received; these decoders serve validation, tests and the CLI.
 * Encoders: gzip real; snappy and lz4 write valid but uncompressed streams (literal-only /
 * stored blocks); zstd writes raw (stored) blocks, since fzstd only decodes.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { ErrorCode } from '../../error-codes.js';
import { KafkaProtocolError } from '../errors.js';
import { DECOMPRESSED_BYTES_MAX } from './limits.js';
import { lz4Decompress, lz4FrameStored } from './lz4.js';
import { snappyCompressLiteral, snappyDecompress } from './snappy.js';

export const CompressionType = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;
export type CompressionTypeValue = (typeof CompressionType)[keyof typeof CompressionType];

export function decompress(type: number, data: Buffer): Buffer {
  try {
    switch (type) {
      case 0:
        return data;
      case 1:
        return gunzipSync(data, { maxOutputLength: DECOMPRESSED_BYTES_MAX });
      case 2:
        return snappyDecompress(data);
      case 3:
        return lz4Decompress(data);
      case 4: {
        const out = zstdDecompress(data);
        if (out.length > DECOMPRESSED_BYTES_MAX) throw new Error('output over limit');
        return Buffer.from(out.buffer, out.byteOffset, out.length);
      }
      default:
        throw new KafkaProtocolError(
          `unknown compression type ${type}`,
          ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
        );
    }
  } catch (e) {
    if (e instanceof KafkaProtocolError) throw e;
    throw new KafkaProtocolError(`compression ${type}: ${(e as Error).message}`, ErrorCode.CORRUPT_MESSAGE);
  }
}

/** zstd frame limits (RFC 8878): the largest block, and the magic number. */
const ZSTD_BLOCK_BYTES_MAX = 128 * 1024;
const ZSTD_MAGIC = 0xfd2fb528;

/**
 * A valid zstd frame holding `data` in raw (uncompressed) blocks: single-segment frame with an
 * 8-byte content size, no checksum. Any zstd decoder reads it; it only saves no bytes.
 */
export function zstdFrameRaw(data: Buffer): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / ZSTD_BLOCK_BYTES_MAX));
  const out = Buffer.allocUnsafe(4 + 1 + 8 + blocks * 3 + data.length);
  out.writeUInt32LE(ZSTD_MAGIC, 0);
  out[4] = 0xe0; // Frame_Content_Size_flag 3 (8 bytes), Single_Segment_flag 1
  out.writeBigUInt64LE(BigInt(data.length), 5);
  let p = 13;
  for (let i = 0; i < blocks; i++) {
    const start = i * ZSTD_BLOCK_BYTES_MAX;
    const size = Math.min(ZSTD_BLOCK_BYTES_MAX, data.length - start);
    const last = i === blocks - 1 ? 1 : 0;
    out.writeUIntLE((size << 3) | last, p, 3); // Block_Type 0 (raw)
    p += 3;
    p += data.copy(out, p, start, start + size);
  }
  return out;
}

export function compress(type: number, data: Buffer): Buffer {
  switch (type) {
    case 0:
      return data;
    case 1:
      return gzipSync(data);
    case 2:
      return snappyCompressLiteral(data);
    case 3:
      return lz4FrameStored(data);
    case 4:
      return zstdFrameRaw(data);
    default:
      throw new KafkaProtocolError(
        `cannot compress with type ${type}`,
        ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      );
  }
}
