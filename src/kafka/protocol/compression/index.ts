/**
 * Batch compression codecs by Kafka's attribute value: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
 * The broker stores batches as received; these decoders serve validation, tests and the CLI.
 * Encoders: gzip real; snappy and lz4 write valid but uncompressed streams (literal-only /
 * stored blocks); zstd has no encoder (fzstd only decodes).
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
    default:
      throw new KafkaProtocolError(
        `cannot compress with type ${type}`,
        ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      );
  }
}
