/**
 * GET body sender: ranges across several files arrive byte-exact through a slow, back-pressured
 * writable (buffers are reused only after the writable took them); no more than READ_AHEAD writes
 * are outstanding within a range; a destroyed writable ends the send early; a file shorter than
 * its range is an error.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { READ_AHEAD, READ_CHUNK_BYTES, sendRanges } from './range-sender.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nimbus-s3-ranges-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A writable that acknowledges each write 2 ms later and keeps a copy of it then. */
function slowSink(): { sink: Writable; received: Buffer[] } {
  const received: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      // Copied only when acknowledged: a buffer reused before the callback would show here.
      setTimeout(() => {
        received.push(Buffer.from(chunk));
        cb();
      }, 2);
    },
  });
  return { sink, received };
}

describe('sendRanges', () => {
  it('sends ranges of several files in order through back-pressure', async () => {
    const a = randomBytes(READ_CHUNK_BYTES * 5 + 123);
    const b = randomBytes(READ_CHUNK_BYTES + 7);
    writeFileSync(join(dir, 'a'), a);
    writeFileSync(join(dir, 'b'), b);
    const { sink, received } = slowSink();
    await sendRanges(
      [
        { path: join(dir, 'a'), from: 100, to: a.length - 1 },
        { path: join(dir, 'b'), from: 0, to: 9 },
      ],
      sink,
    );
    await new Promise<void>((r) => sink.end(r));
    assert.ok(Buffer.concat(received).equals(Buffer.concat([a.subarray(100), b.subarray(0, 10)])));
  });

  it('keeps at most READ_AHEAD writes unacknowledged within a range', async () => {
    const a = randomBytes(READ_CHUNK_BYTES * 6 + 5);
    writeFileSync(join(dir, 'e'), a);
    let outstanding = 0;
    let peak = 0;
    const received: Buffer[] = [];
    const sink = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, cb) {
        received.push(Buffer.from(chunk));
        setTimeout(cb, 3);
      },
    });
    // Counted at the Writable's door: writes handed over minus callbacks received.
    const write = sink.write.bind(sink);
    sink.write = ((chunk: Buffer, cb: (err?: Error | null) => void) => {
      peak = Math.max(peak, ++outstanding);
      return write(chunk, (err) => {
        outstanding--;
        cb(err);
      });
    }) as typeof sink.write;
    await sendRanges([{ path: join(dir, 'e'), from: 0, to: a.length - 1 }], sink);
    await new Promise<void>((r) => sink.end(r));
    assert.ok(Buffer.concat(received).equals(a));
    assert.ok(peak <= READ_AHEAD, `peak ${peak} outstanding writes`);
    assert.ok(peak >= 2, 'reads should overlap the writes');
  });

  it('stops when the writable is destroyed', async () => {
    const a = randomBytes(READ_CHUNK_BYTES * 8);
    writeFileSync(join(dir, 'c'), a);
    let writes = 0;
    const sink = new Writable({
      highWaterMark: 1,
      write(_chunk, _enc, cb) {
        if (++writes === 2) sink.destroy();
        setImmediate(cb);
      },
    });
    await sendRanges([{ path: join(dir, 'c'), from: 0, to: a.length - 1 }], sink);
    assert.ok(writes < 8);
  });

  it('settles when a real HTTP client goes away mid-body', async () => {
    // Bigger than what the loopback socket buffers can hold, so the send is still running.
    const size = READ_CHUNK_BYTES * 32;
    writeFileSync(join(dir, 'f'), randomBytes(size));
    let settled: Promise<string> | null = null;
    let writes = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': size });
      const write = res.write.bind(res);
      res.write = ((...args: Parameters<typeof res.write>) => {
        writes++;
        return write(...args);
      }) as typeof res.write;
      settled = sendRanges([{ path: join(dir, 'f'), from: 0, to: size - 1 }], res).then(
        () => 'resolved',
        (err: unknown) => `rejected: ${String(err)}`,
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const got = await new Promise<number>((resolve, reject) => {
        const req = request({ port, host: '127.0.0.1', path: '/' }, (res) => {
          let n = 0;
          res.on('data', (c: Buffer) => {
            n += c.length;
            if (n >= READ_CHUNK_BYTES) {
              req.destroy();
              resolve(n);
            }
          });
        });
        req.on('error', (e) =>
          e.message.includes('aborted') || e.message.includes('socket hang up') ? undefined : reject(e),
        );
        req.end();
      });
      assert.ok(got < size);
      const outcome = await Promise.race([
        settled!,
        new Promise<string>((r) => setTimeout(() => r('still running after 5 s'), 5000).unref()),
      ]);
      assert.equal(outcome, 'resolved');
      // It stopped reading and writing once the client had gone, rather than reading to the end.
      assert.ok(writes < size / READ_CHUNK_BYTES, `${writes} writes`);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('rejects when the file is shorter than the range', async () => {
    writeFileSync(join(dir, 'd'), randomBytes(1000));
    const { sink } = slowSink();
    await assert.rejects(sendRanges([{ path: join(dir, 'd'), from: 0, to: 1999 }], sink), /early/);
  });
});
