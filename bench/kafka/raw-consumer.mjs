// A minimal Kafka consumer for the benchmark: what the broker can serve when the client costs
// almost nothing. It sends Fetch v11 requests with large max bytes over real sockets and counts
// records from the record-batch headers (recordCount, lastOffsetDelta), without decoding a single
// record, so its own CPU stays far below kcat's (kcat -C parses, copies and writes every record).
// Partitions are spread over --connections sockets, one Fetch in flight on each.
//
//   node bench/kafka/raw-consumer.mjs --broker 127.0.0.1:9092 --topic T --records N
//        [--partitions 1] [--connections 1] [--max-bytes 52428800] [--partition-max-bytes 10485760]
//
// Prints one JSON line: records, bytes (record batches), fetches, wall ms from the first request
// to the last record, and this process's own CPU ms over that interval. Needs `npm run build`.
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const [HOST, PORT] = opt('broker', '127.0.0.1:9092').split(':');
const TOPIC = opt('topic', 'bench');
const RECORDS = Number(opt('records', '1000000'));
const PARTITIONS = Number(opt('partitions', '1'));
const CONNECTIONS = Math.min(Number(opt('connections', '1')), PARTITIONS);
/** Response budget per Fetch (fetch.max.bytes) and per partition (max.partition.fetch.bytes). */
const MAX_BYTES = Number(opt('max-bytes', String(50 * 1024 * 1024)));
const PARTITION_MAX_BYTES = Number(opt('partition-max-bytes', String(10 * 1024 * 1024)));
/** A parked Fetch returns after this long when the log has nothing more (the run then stops). */
const MAX_WAIT_MS = 500;
const FETCH_VERSION = 11;
/** Record-batch v2 header offsets (see src/kafka/storage/batch.ts). */
const OFF_BATCH_LENGTH = 8;
const OFF_LAST_OFFSET_DELTA = 23;
const OFF_RECORD_COUNT = 57;
const BATCH_LOG_OVERHEAD = 12;
const BATCH_HEADER_BYTES = 61;

const dist = (p) => import(join(process.cwd(), 'dist/src/kafka', p));
const { encodeRequestFrame } = await dist('protocol/request-frame.js');
const { API_CODECS } = await dist('protocol/messages.generated.js');
const { Reader } = await dist('protocol/reader.js');
const fetchCodec = API_CODECS.get(1);

/** Walks the batches of one partition's records: their record count and the next offset. */
function countBatches(records) {
  let count = 0;
  let next = -1;
  let pos = 0;
  while (pos + BATCH_HEADER_BYTES <= records.length) {
    const size = records.readInt32BE(pos + OFF_BATCH_LENGTH) + BATCH_LOG_OVERHEAD;
    if (pos + size > records.length) break; // a trailing partial batch (not sent by Nimbus)
    count += records.readInt32BE(pos + OFF_RECORD_COUNT);
    next = Number(records.readBigInt64BE(pos)) + records.readInt32BE(pos + OFF_LAST_OFFSET_DELTA) + 1;
    pos += size;
  }
  return { count, next };
}

/** Bytes per socket read: large reads mean few syscalls and events per 10 MB response. */
const READ_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Frames responses off a socket and resolves each pending request in order. Reads go into one
 * reused buffer (net's `onread`) and are copied once into the connection's frame buffer.
 */
function openConnection() {
  return new Promise((resolve, reject) => {
    const waiting = [];
    const sizeBuf = Buffer.alloc(4);
    let sizeFill = 0;
    let frame = null;
    let frameFill = 0;
    let frameBuf = Buffer.alloc(0);
    const onBytes = (chunk) => {
      let p = 0;
      while (p < chunk.length) {
        if (frame === null) {
          const n = Math.min(4 - sizeFill, chunk.length - p);
          chunk.copy(sizeBuf, sizeFill, p, p + n);
          sizeFill += n;
          p += n;
          if (sizeFill < 4) return;
          const size = sizeBuf.readInt32BE(0);
          // One Fetch in flight per connection: the previous response is done with before the
          // next arrives, so its buffer is reused (fresh 10 MB buffers cost page faults).
          if (frameBuf.length < size) frameBuf = Buffer.allocUnsafe(size);
          frame = frameBuf.subarray(0, size);
          frameFill = 0;
          sizeFill = 0;
        }
        const n = Math.min(frame.length - frameFill, chunk.length - p);
        chunk.copy(frame, frameFill, p, p + n);
        frameFill += n;
        p += n;
        if (frameFill === frame.length) {
          const done = frame;
          frame = null;
          waiting.shift()(done);
        }
      }
    };
    const socket = connect(
      {
        host: HOST,
        port: Number(PORT),
        noDelay: true,
        onread: {
          buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
          callback: (n, buf) => onBytes(buf.subarray(0, n)),
        },
      },
      () => resolve(conn),
    );
    const conn = {
      socket,
      request(f) {
        return new Promise((res) => {
          waiting.push(res);
          socket.write(f);
        });
      },
    };
    socket.on('error', reject);
  });
}

async function consume(conn, partitions, state) {
  const offsets = new Map(partitions.map((p) => [p, 0]));
  let correlationId = 0;
  let idle = 0;
  while (state.records < RECORDS && idle < 2) {
    const body = {
      replicaId: -1,
      maxWaitMs: MAX_WAIT_MS,
      minBytes: 1,
      maxBytes: MAX_BYTES,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: TOPIC,
          partitions: partitions.map((p) => ({
            partition: p,
            currentLeaderEpoch: -1,
            fetchOffset: BigInt(offsets.get(p)),
            logStartOffset: -1n,
            partitionMaxBytes: PARTITION_MAX_BYTES,
          })),
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    };
    const res = await conn.request(
      encodeRequestFrame(1, FETCH_VERSION, ++correlationId, 'raw-consumer', body),
    );
    state.fetches++;
    const r = new Reader(res);
    r.int32(); // correlation id (response header v0 below Fetch v12)
    const decoded = fetchCodec.readResponse(r, FETCH_VERSION);
    let got = 0;
    for (const t of decoded.responses) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw new Error(`fetch ${TOPIC}-${p.partitionIndex}: error ${p.errorCode}`);
        const records = p.records ?? Buffer.alloc(0);
        const { count, next } = countBatches(records);
        if (count > 0) offsets.set(p.partitionIndex, next);
        state.records += count;
        state.bytes += records.length;
        got += count;
      }
    }
    idle = got === 0 ? idle + 1 : 0;
  }
}

const conns = await Promise.all(Array.from({ length: CONNECTIONS }, openConnection));
const state = { records: 0, bytes: 0, fetches: 0 };
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  conns.map((c, i) =>
    consume(
      c,
      Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) => p % CONNECTIONS === i),
      state,
    ),
  ),
);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
for (const c of conns) c.socket.destroy();
console.log(
  JSON.stringify({
    records: state.records,
    bytes: state.bytes,
    fetches: state.fetches,
    ms: Math.round(ms),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  }),
);
