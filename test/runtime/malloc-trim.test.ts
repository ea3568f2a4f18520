import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  glibcMallocStats,
  glibcMallocTrim,
  HeapTrimmer,
  RUNTIME_MALLOC,
} from '../../local/runtime/malloc-trim.ts';
import { manualTimers } from '../support/manual-timers.ts';

const PROBE = fileURLToPath(new URL('./fixtures/malloc-probe.ts', import.meta.url));

describe('giving freed sandboxes’ memory back to the system', () => {
  it('trims once after a run of reclaimed sandboxes, not once per sandbox', () => {
    const timers = manualTimers();
    let calls = 0;
    const trimmer = new HeapTrimmer(() => ++calls > 0, 1_000, timers);
    trimmer.sandboxFreed();
    trimmer.sandboxFreed();
    trimmer.sandboxFreed();
    expect(timers.armed).toBe(1); // each one pushes the trim back: one timer at a time
    expect(calls).toBe(0);
    timers.fireAll();
    expect(calls).toBe(1);
    expect(trimmer.trims).toBe(1);
    trimmer.sandboxFreed();
    timers.fireAll();
    expect(calls).toBe(2);
  });

  it('trims at once when asked, in place of a pending trim; cancel drops a pending one', () => {
    const timers = manualTimers();
    let calls = 0;
    const trimmer = new HeapTrimmer(() => ++calls > 0, 1_000, timers);
    trimmer.sandboxFreed();
    trimmer.now();
    expect(calls).toBe(1);
    expect(timers.armed).toBe(0);
    trimmer.sandboxFreed();
    trimmer.cancel();
    expect(timers.armed).toBe(0);
    expect(calls).toBe(1);
  });

  it('does nothing where there is no malloc_trim', () => {
    const timers = manualTimers();
    const trimmer = new HeapTrimmer(undefined, 1_000, timers);
    trimmer.sandboxFreed();
    trimmer.now();
    expect(timers.armed).toBe(0);
    expect(trimmer.trims).toBe(0);
  });

  const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header
    ?.glibcVersionRuntime;
  it.runIf(glibc !== undefined)('calls glibc’s malloc_trim on glibc systems', () => {
    const trim = glibcMallocTrim();
    expect(trim).toBeTypeOf('function');
    expect(glibcMallocTrim()).toBe(trim); // loaded once
    expect(typeof trim?.()).toBe('boolean');
  });

  it.runIf(glibc !== undefined)('reads what glibc’s malloc holds (mallinfo2), for the benches', () => {
    const before = glibcMallocStats()!;
    // 4,000 Buffers of 1,000 bytes: each its own block from the arenas (Buffer.alloc does not pool)
    const held = Array.from({ length: 4000 }, () => Buffer.alloc(1000, 1));
    const after = glibcMallocStats()!;
    expect(after.inUse - before.inUse).toBeGreaterThan(3_500_000);
    expect(after.free).toBeGreaterThanOrEqual(0);
    expect(after.mapped).toBeGreaterThanOrEqual(0);
    expect(held).toHaveLength(4000);
  });
});

describe('glibc malloc settings of the runtime process', () => {
  const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header
    ?.glibcVersionRuntime;
  const probe = (mode: 'tuned' | 'default', env: NodeJS.ProcessEnv = {}) => {
    const env0 = { ...process.env };
    delete env0.GLIBC_TUNABLES;
    delete env0.MALLOC_MMAP_THRESHOLD_;
    delete env0.MALLOC_ARENA_MAX;
    const run = spawnSync(process.execPath, ['--import', 'tsx', PROBE, mode], {
      env: { ...env0, ...env },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    return JSON.parse(run.stdout) as { applied: string[]; mappedAfterRaise: boolean };
  };

  it.runIf(glibc !== undefined)('keeps big blocks mapped whole after a freed bigger one', () => {
    // glibc's own behaviour: a freed 16 MiB mapping raises the threshold, and 8 MiB comes from an arena
    expect(probe('default')).toEqual({ applied: [], mappedAfterRaise: false });
    expect(probe('tuned')).toEqual({
      applied: [`M_MMAP_THRESHOLD=${RUNTIME_MALLOC.mmapThreshold}`, `M_ARENA_MAX=${RUNTIME_MALLOC.arenaMax}`],
      mappedAfterRaise: true,
    });
  });

  it.runIf(glibc !== undefined)('leaves the settings the environment makes', () => {
    expect(probe('tuned', { MALLOC_ARENA_MAX: '4' }).applied).toEqual([
      `M_MMAP_THRESHOLD=${RUNTIME_MALLOC.mmapThreshold}`,
    ]);
    expect(probe('tuned', { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=65536' })).toEqual({
      applied: [`M_ARENA_MAX=${RUNTIME_MALLOC.arenaMax}`],
      mappedAfterRaise: true, // the environment's fixed threshold, 64 KiB
    });
  });
});
