/**
 * Proves the lazily loaded logger: a logger with nothing to write at its level never loads pino;
 * once it writes, its lines are exactly what pino writes for the same calls; and levels behave as
 * pino's do (a child follows its parent's level until it has its own, before and after pino loads).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { createLogger } from './logger.js';

const require = createRequire(import.meta.url);
const pinoLoaded = (): boolean => Object.keys(require.cache).some((k) => /[/\\]pino[/\\]pino\.js$/.test(k));

function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('a logger with nothing to write never loads pino', () => {
  const quiet = createLogger({ level: 'silent' }).child({ service: 'x' });
  quiet.info('not written');
  quiet.error({ err: 'e' }, 'not written either');
  const warnOnly = createLogger({ level: 'warn', format: 'json', destination: sink().stream });
  warnOnly.child({ service: 'y' }).info('below warn');
  assert.equal(warnOnly.isLevelEnabled('info'), false);
  assert.equal(warnOnly.isLevelEnabled('error'), true);
  assert.equal(quiet.level, 'silent');
  assert.equal(pinoLoaded(), false);
});

test('lines are the ones pino writes for the same calls', () => {
  const ours = sink();
  const theirs = sink();
  const log = createLogger({ level: 'info', format: 'json', destination: ours.stream });
  const { pino } = require('pino') as typeof import('pino');
  const ref = pino({ level: 'info', base: null }, theirs.stream);
  for (const l of [log, ref]) {
    const c = l.child({ service: 'kafka' });
    c.info({ port: 9092 }, 'listening');
    c.debug('hidden');
    l.warn('host line');
  }
  assert.equal(pinoLoaded(), true, 'the probe sees pino once it is loaded');
  const strip = (ls: Record<string, unknown>[]) => ls.map(({ time: _t, ...rest }) => rest);
  assert.deepEqual(strip(ours.lines()), strip(theirs.lines()));
  assert.equal(ours.lines().length, 2);
});

test("levels follow pino's rules before and after pino is loaded", () => {
  const out = sink();
  const root = createLogger({ level: 'warn', format: 'json', destination: out.stream });
  const follower = root.child({ service: 'a' });
  const pinned = root.child({ service: 'b' }, { level: 'error' });
  root.level = 'debug';
  assert.equal(follower.level, 'debug', 'a child follows its parent');
  assert.equal(pinned.level, 'error', 'a child with its own level keeps it');
  follower.debug('one');
  pinned.warn('dropped');
  pinned.error('two');
  root.level = 'info';
  follower.debug('dropped after pino loaded');
  follower.info('three');
  assert.deepEqual(
    out.lines().map((l) => [l.service, l.msg]),
    [
      ['a', 'one'],
      ['b', 'two'],
      ['a', 'three'],
    ],
  );
});
