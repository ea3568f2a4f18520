import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/engine/clock.ts';

/** The virtual clock's timer queue: order, cancellation and counts, also with many timers. */
describe('VirtualClock timers', () => {
  const T0 = Date.parse('2025-01-01T00:00:00Z');

  it('fires in (due, arming) order, never a cancelled timer, and counts what is pending', async () => {
    const clock = new VirtualClock(T0);
    const fired: string[] = [];
    clock.at(T0 + 2000, () => fired.push('b'));
    clock.at(T0 + 1000, () => fired.push('a1'));
    const gone = clock.at(T0 + 1000, () => fired.push('cancelled'));
    clock.at(T0 + 1000, () => fired.push('a2'));
    expect(clock.pending).toBe(4);
    gone.cancel();
    gone.cancel();
    expect(clock.pending).toBe(3);
    expect(clock.nextDue()).toBe(T0 + 1000);
    await clock.advance(1);
    expect(fired).toEqual(['a1', 'a2']);
    expect(clock.pending).toBe(1);
    await clock.advance(5);
    expect(fired).toEqual(['a1', 'a2', 'b']);
    expect(clock.pending).toBe(0);
    expect(clock.nextDue()).toBeUndefined();
  });

  it('a timer cancelled by an earlier one due at the same instant does not fire', async () => {
    const clock = new VirtualClock(T0);
    const fired: string[] = [];
    const handles: Array<{ cancel(): void }> = [];
    clock.at(T0 + 10, () => {
      fired.push('first');
      handles[0]!.cancel();
    });
    handles.push(clock.at(T0 + 10, () => fired.push('second')));
    await clock.advance(1);
    expect(fired).toEqual(['first']);
  });

  it('timers armed in the past fire on the next microtask, once each, together', async () => {
    const clock = new VirtualClock(T0);
    const fired: number[] = [];
    for (let i = 0; i < 5; i++) clock.at(T0 - i, () => fired.push(i));
    expect(fired).toEqual([]);
    await Promise.resolve();
    expect(fired).toEqual([4, 3, 2, 1, 0]);
  });

  it('keeps order and counts with 60,000 timers, most of them cancelled', async () => {
    const clock = new VirtualClock(T0);
    const fired: number[] = [];
    const handles = Array.from({ length: 60_000 }, (_, i) =>
      clock.at(T0 + ((i * 7919) % 60_000) * 1000, () => fired.push(i)),
    );
    for (let i = 0; i < handles.length; i++) if (i % 3 !== 0) handles[i]!.cancel();
    expect(clock.pending).toBe(20_000);
    await clock.advance(60_000);
    expect(fired).toHaveLength(20_000);
    const dues = fired.map((i) => (i * 7919) % 60_000);
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
    expect(clock.pending).toBe(0);
  });
});
