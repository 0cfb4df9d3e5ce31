/**
 * `nimbus kafka console-producer` — kafka-console-producer.sh over the wire. Reads stdin line by
 * line; with `--property parse.key=true` each line is `key<key.separator>value` (separator TAB by
 * default, as Kafka's LineMessageReader). Keyed records go to toPositive(murmur2(key)) % partitions
 * like Java's default partitioner; keyless ones use sticky partitioning (one random partition until
 * batch.size bytes were sent to it, then another). Idempotent like the Java producer (InitProducerId
 * plus per-partition sequences), acks from --request-required-acks (default -1 = all).
 */
import { createInterface } from 'node:readline';
import { CompressionType } from '../protocol/compression/index.js';
import { encodeBatch, type NewRecord } from '../protocol/records.js';
import { API, KafkaClient, KafkaClientError, partitionForKey } from './client.js';
import { fail, type CliIo } from './io.js';

/** batch.size: bytes per partition before a batch is sent (and the sticky partition moves on). */
export const BATCH_SIZE_BYTES = 16_384;
/** linger: a partial batch waits at most this long. */
export const LINGER_MS = 100;
/** Line length accepted from stdin (max.message.bytes is the real bound on the broker). */
export const LINE_BYTES_MAX = 1_048_576;

export interface ConsoleProducerOptions {
  bootstrapServer: string;
  topic: string;
  property?: string[];
  requestRequiredAcks?: string;
  compressionCodec?: string;
}

interface PartitionBuffer {
  records: NewRecord[];
  bytes: number;
  sequence: number;
}

export function parseProperties(list: readonly string[] = []): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new KafkaClientError(`Invalid property ${kv}: expected key=value`);
    m.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return m;
}

/** Kafka's keyless default since 3.3 (KIP-794): stick to one partition per batch.size bytes. */
export class StickyPartitioner {
  private current = -1;
  private bytes = 0;
  constructor(
    private readonly partitions: number,
    private readonly random: () => number = Math.random,
  ) {}
  next(recordBytes: number): number {
    if (this.current < 0 || this.bytes >= BATCH_SIZE_BYTES) {
      let p = Math.floor(this.random() * this.partitions);
      if (this.partitions > 1 && p === this.current) p = (p + 1) % this.partitions;
      this.current = p;
      this.bytes = 0;
    }
    this.bytes += recordBytes;
    return this.current;
  }
}

const CODECS: Record<string, number> = {
  none: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

export async function runConsoleProducer(o: ConsoleProducerOptions, io: CliIo): Promise<number> {
  let client: KafkaClient;
  let props: Map<string, string>;
  try {
    props = parseProperties(o.property);
    client = await KafkaClient.connect(o.bootstrapServer, 'console-producer');
  } catch (e) {
    return fail(io, 'console producer', e);
  }
  try {
    return await produceLines(client, o, props, io);
  } catch (e) {
    return fail(io, 'console producer', e);
  } finally {
    client.close();
  }
}

async function produceLines(client: KafkaClient, o: ConsoleProducerOptions, props: Map<string, string>, io: CliIo): Promise<number> {
  const acks = Number(o.requestRequiredAcks ?? '-1');
  if (![0, 1, -1].includes(acks)) throw new KafkaClientError(`--request-required-acks must be 0, 1 or -1 (all)`);
  const compression = CODECS[o.compressionCodec ?? 'none'];
  if (compression === undefined) throw new KafkaClientError(`unknown --compression-codec ${o.compressionCodec}`);
  const parseKey = props.get('parse.key') === 'true';
  const separator = props.get('key.separator') ?? '\t';
  const partitions = await partitionCount(client, o.topic);
  // Idempotence needs acks=all, as in the Java client.
  const idem = acks === -1 ? await client.request<{ errorCode: number; producerId: bigint; producerEpoch: number }>(API.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }) : null;
  if (idem && idem.errorCode !== 0) throw new KafkaClientError(`InitProducerId failed with error ${idem.errorCode}`, idem.errorCode);
  const sticky = new StickyPartitioner(partitions);
  const buffers = new Map<number, PartitionBuffer>();
  const inflight = new Set<Promise<void>>();
  let firstError: Error | null = null;
  let lineNo = 0;
  let timer: NodeJS.Timeout | null = null;

  const send = (partition: number): void => {
    const b = buffers.get(partition);
    if (!b || b.records.length === 0) return;
    const opts = idem ? { compression, producerId: idem.producerId, producerEpoch: idem.producerEpoch, baseSequence: b.sequence } : { compression };
    const records = encodeBatch(b.records, opts);
    b.sequence += b.records.length;
    b.records = [];
    b.bytes = 0;
    const body = { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: o.topic, partitionData: [{ index: partition, records }] }] };
    if (acks === 0) {
      client.sendNoResponse(API.Produce, body);
      return;
    }
    const p = client.request<{ responses: { partitionResponses: { errorCode: number; errorMessage: string | null }[] }[] }>(API.Produce, body).then((r) => {
      const pr = r.responses[0]?.partitionResponses[0];
      if (pr && pr.errorCode !== 0) throw new KafkaClientError(pr.errorMessage ?? `produce failed with error ${pr.errorCode}`, pr.errorCode);
    });
    const tracked = p.then(
      () => void inflight.delete(tracked),
      (e: unknown) => {
        inflight.delete(tracked);
        firstError ??= e instanceof Error ? e : new Error(String(e));
      },
    );
    inflight.add(tracked);
  };
  const flushAll = (): void => {
    for (const p of buffers.keys()) send(p);
  };

  const rl = createInterface({ input: io.stdin, crlfDelay: Infinity });
  const onAbort = (): void => rl.close();
  io.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const line of rl) {
      lineNo++;
      if (Buffer.byteLength(line) > LINE_BYTES_MAX) throw new KafkaClientError(`line ${lineNo} is longer than ${LINE_BYTES_MAX} bytes`);
      let key: string | null = null;
      let value = line;
      if (parseKey) {
        const i = line.indexOf(separator);
        if (i < 0) throw new KafkaClientError(`No key separator found on line number ${lineNo}: '${line}'`);
        key = line.slice(0, i);
        value = line.slice(i + separator.length);
      }
      const size = Buffer.byteLength(value) + (key === null ? 0 : Buffer.byteLength(key));
      const partition = key === null ? sticky.next(size) : partitionForKey(Buffer.from(key), partitions);
      let b = buffers.get(partition);
      if (!b) buffers.set(partition, (b = { records: [], bytes: 0, sequence: 0 }));
      b.records.push({ key, value });
      b.bytes += size;
      if (b.bytes >= BATCH_SIZE_BYTES) send(partition);
      else if (!timer) timer = setTimeout(() => ((timer = null), flushAll()), LINGER_MS);
      // Surface a failed send early instead of after all of stdin.
      if (firstError) throw firstError;
    }
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
  }
  flushAll();
  await Promise.all(inflight);
  if (firstError) throw firstError;
  return 0;
}

export async function partitionCount(client: KafkaClient, topic: string): Promise<number> {
  const md = await client.request<{ topics: { errorCode: number; partitions: unknown[] }[] }>(API.Metadata, {
    topics: [{ name: topic }],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  const t = md.topics[0];
  if (!t || t.errorCode !== 0 || t.partitions.length === 0) {
    throw new KafkaClientError(`Topic ${topic} not present in metadata (error ${t?.errorCode ?? '?'})`, t?.errorCode ?? -1);
  }
  return t.partitions.length;
}
