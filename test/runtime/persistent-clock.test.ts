import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PersistentVirtualClock } from '../../local/runtime/clock.ts';

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'storeflow-clock-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.parse('2026-12-03T01:30:00.000Z');

describe('the persisted virtual clock', () => {
  it('starts where the data directory left it, at the instant of the last advance', async () => {
    const dir = dataDir();
    const clock = new PersistentVirtualClock(dir, T0);
    await clock.advanceTo(T0 + 90_000);
    expect(new PersistentVirtualClock(dir, 0).now()).toBe(T0 + 90_000);
    expect(JSON.parse(readFileSync(join(dir, 'clock.json'), 'utf8'))).toEqual({
      now: '2026-12-03T01:31:30.000Z',
    });
  });

  it('saves each timer’s instant before its work runs: a kill mid-advance never goes back behind it', async () => {
    const dir = dataDir();
    const clock = new PersistentVirtualClock(dir, T0);
    const seenAfterRestart: number[] = [];
    // Two timers inside one advance from 09:30 to 10:30; at each, the process "dies": a new clock
    // is opened on the same directory, as the restarted runtime would.
    for (const due of [T0 + 30 * 60_000, T0 + 45 * 60_000]) {
      clock.at(due, () => seenAfterRestart.push(new PersistentVirtualClock(dir, 0).now()));
    }
    await clock.advanceTo(T0 + 60 * 60_000);
    expect(seenAfterRestart).toEqual([T0 + 30 * 60_000, T0 + 45 * 60_000]);
    expect(new PersistentVirtualClock(dir, 0).now()).toBe(T0 + 60 * 60_000);
  });
});
