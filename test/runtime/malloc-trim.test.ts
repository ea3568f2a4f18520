import { describe, expect, it } from 'vitest';
import { glibcMallocTrim, HeapTrimmer } from '../../local/runtime/malloc-trim.ts';
import { manualTimers } from '../support/manual-timers.ts';

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
});
