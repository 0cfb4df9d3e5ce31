// Test helpers shared by the luajs tests: an engine over an in-memory host, and running a chunk.
import { LuajsEngine, BusyAbort, type LuajsRunState } from './engine.js';
import { createStdlib } from './stdlib-loader.js';
import type { ScriptReply } from '../reply.js';

export interface TestEngine {
  engine: LuajsEngine;
  run: LuajsRunState;
  calls: string[][];
  /** Compiles and runs; 'fallback' when compile() refuses the script, 'busy' on BusyAbort. */
  exec(src: string, keys?: string[], args?: string[]): ScriptReply | 'fallback' | 'busy';
}

export function testEngine(opts: { busyThresholdMs?: number; stdlib?: boolean } = {}): TestEngine {
  const run: LuajsRunState = { resp3: false, replFlags: 3, wrote: false, startedMs: 0, timedOut: false };
  const store = new Map<string, string>();
  const calls: string[][] = [];
  const engine = new LuajsEngine(
    {
      call(argv): ScriptReply {
        calls.push(argv);
        switch (argv[0]?.toLowerCase()) {
          case 'get':
            return store.get(argv[1] ?? '') ?? null;
          case 'set':
            store.set(argv[1] ?? '', argv[2] ?? '');
            run.wrote = true;
            return { kind: 'status', text: 'OK' };
          case 'echo':
            return argv[1] ?? null;
          case 'ping':
            return { kind: 'status', text: 'PONG' };
          default:
            return { kind: 'error', text: `ERR unknown command '${argv[0] ?? ''}'` };
        }
      },
      run: () => run,
      now: () => Date.now(),
      busyThresholdMs: () => opts.busyThresholdMs ?? 5000,
    },
    opts.stdlib === false ? null : createStdlib,
  );
  return {
    engine,
    run,
    calls,
    exec(src, keys = [], args = []) {
      const c = engine.compile(src);
      if (c === null) return 'fallback';
      run.startedMs = Date.now();
      run.wrote = false;
      run.timedOut = false;
      run.resp3 = false;
      try {
        return engine.run(c, keys, args, 'f_test');
      } catch (e) {
        if (e instanceof BusyAbort) return 'busy';
        throw e;
      }
    },
  };
}
