// Broker CPU per megabyte, without kcat: a raw Kafka client in this process sends pre-built
// Produce requests (one ~1 MB v2 batch each, up to IN_FLIGHT pipelined) and then Fetches
// everything back, while the broker runs alone in a child process (bench/kafka/broker.mjs). It
// prints the broker's CPU time (user + system, from /proc) per phase: on a shared, loaded machine
// this is far steadier than records/s, so it is the number to compare between versions.
//
//   npm run build && node bench/kafka/broker-cpu.mjs [--mb 200] [--size 1024] [--acks -1] [--repeat 3]
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const TOTAL_MB = arg('mb', 200);
const RECORD_BYTES = arg('size', 1024);
const ACKS = arg('acks', -1);
const REPEAT = arg('repeat', 3);
/** Produce requests in flight on the connection (librdkafka allows far more; this is plenty). */
const IN_FLIGHT = 16;
/** One batch per request, about the size kcat sends with batch.size=1000000. */
const BATCH_BYTES = 1_000_000;
const FETCH_MAX_BYTES = 10 * 1024 * 1024;

const dist = (p) => import(join(process.cwd(), 'dist/src/kafka', p));
const { encodeBatch } = await dist('protocol/records.js');
const { encodeRequestFrame } = await dist('protocol/request-frame.js');
const { API_CODECS } = await dist('protocol/messages.generated.js');
const { Reader } = await dist('protocol/reader.js');

function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

function startBroker() {
  return new Promise((resolve, reject) => {
    // BROKER_NODE_FLAGS: extra node flags for the broker, e.g. '--cpu-prof' to profile it.
    const flags = (process.env.BROKER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...flags, 'bench/kafka/broker.mjs'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      const m = /READY kafka:\/\/(\S+):(\d+)/.exec(out);
      if (m) {
        // Anything the broker prints later (e.g. --trace-gc) goes to our stderr.
        child.stdout.removeAllListeners('data');
        child.stdout.pipe(process.stderr);
        resolve({ child, host: m[1], port: Number(m[2]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`broker exited ${code}`)));
  });
}

/** A connection that sends frames and resolves each with its response payload (in order). */
function client(host, port) {
  const sock = connect(port, host);
  sock.setNoDelay(true);
  const waiting = [];
  // Chunks are joined only once a whole frame is there (joining on every chunk is quadratic).
  let chunks = [];
  let have = 0;
  let need = -1;
  sock.on('data', (d) => {
    chunks.push(d);
    have += d.length;
    for (;;) {
      if (need < 0 && have >= 4)
        need = 4 + (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).readInt32BE(0);
      if (need < 0 || have < need) return;
      const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, have);
      waiting.shift()(buf.subarray(4, need));
      chunks = have > need ? [buf.subarray(need)] : [];
      have -= need;
      need = -1;
    }
  });
  let corr = 0;
  return {
    ready: new Promise((r) => sock.once('connect', r)),
    send(apiKey, version, body) {
      const frame = encodeRequestFrame(apiKey, version, ++corr, 'broker-cpu', body);
      return new Promise((resolve) => {
        waiting.push(resolve);
        sock.write(frame);
      });
    },
    close: () => sock.destroy(),
  };
}

function responseBody(apiKey, version, payload) {
  const r = new Reader(payload);
  r.pos =
    4 + (version >= API_CODECS.get(apiKey).flexibleMin && API_CODECS.get(apiKey).flexibleMin >= 0 ? 1 : 0);
  return API_CODECS.get(apiKey).readResponse(r, version);
}

async function produceAll(c, topic, batch, requests) {
  let sent = 0;
  let done = 0;
  await new Promise((resolve, reject) => {
    const pump = () => {
      while (sent < requests && sent - done < IN_FLIGHT) {
        sent++;
        c.send(0, 7, {
          transactionalId: null,
          acks: ACKS,
          timeoutMs: 30000,
          topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
        }).then((p) => {
          const res = responseBody(0, 7, p);
          const code = res.responses[0].partitionResponses[0].errorCode;
          if (code !== 0) return reject(new Error(`produce error ${code}`));
          if (++done === requests) resolve();
          else pump();
        });
      }
    };
    pump();
  });
}

async function fetchAll(c, topic, totalBytes) {
  let offset = 0n;
  let bytes = 0;
  while (bytes < totalBytes) {
    const p = await c.send(1, 11, {
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: FETCH_MAX_BYTES * 5,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: offset,
              logStartOffset: -1n,
              partitionMaxBytes: FETCH_MAX_BYTES,
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
    const part = responseBody(1, 11, p).responses[0].partitions[0];
    if (part.errorCode !== 0) throw new Error(`fetch error ${part.errorCode}`);
    const recs = part.records;
    if (!recs || recs.length === 0) break;
    // Advance past the last whole batch: baseOffset(8) + length(4) ... lastOffsetDelta at 23.
    let pos = 0;
    while (pos + 61 <= recs.length) {
      const size = recs.readInt32BE(pos + 8) + 12;
      if (pos + size > recs.length) break;
      offset = recs.readBigInt64BE(pos) + BigInt(recs.readInt32BE(pos + 23)) + 1n;
      pos += size;
    }
    bytes += pos;
  }
  return bytes;
}

async function main() {
  const perBatch = Math.max(1, Math.floor(BATCH_BYTES / (RECORD_BYTES + 8)));
  const value = Buffer.alloc(RECORD_BYTES, 'x');
  const batch = encodeBatch(Array.from({ length: perBatch }, () => ({ key: null, value })));
  const requests = Math.ceil((TOTAL_MB * 1e6) / batch.length);
  const broker = await startBroker();
  const pid = broker.child.pid;
  const c = client(broker.host, broker.port);
  await c.ready;
  console.log(
    `broker CPU per phase: ${requests} produce requests of one ${batch.length}-byte batch (${perBatch} records of ${RECORD_BYTES} B), acks=${ACKS}, ${IN_FLIGHT} in flight; then fetched back`,
  );
  try {
    for (let i = 0; i < REPEAT; i++) {
      const topic = `cpu-${i}`;
      await c.send(3, 4, { topics: [{ name: topic }], allowAutoTopicCreation: true });
      const mb = (requests * batch.length) / 1e6;
      const c0 = cpuMs(pid);
      const t0 = performance.now();
      await produceAll(c, topic, batch, requests);
      const c1 = cpuMs(pid);
      const t1 = performance.now();
      const fetched = await fetchAll(c, topic, requests * batch.length);
      const c2 = cpuMs(pid);
      const t2 = performance.now();
      console.log(
        `  run ${i + 1}: produce ${mb.toFixed(0)} MB in ${(t1 - t0).toFixed(0)} ms, broker CPU ${(c1 - c0).toFixed(0)} ms ` +
          `(${((c1 - c0) / mb).toFixed(2)} ms/MB); fetch ${(fetched / 1e6).toFixed(0)} MB in ${(t2 - t1).toFixed(0)} ms, ` +
          `broker CPU ${(c2 - c1).toFixed(0)} ms (${((c2 - c1) / (fetched / 1e6)).toFixed(2)} ms/MB)`,
      );
    }
  } finally {
    c.close();
    broker.child.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
