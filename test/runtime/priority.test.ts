import { describe, expect, it } from 'vitest';
import { ForegroundFirst } from '../../local/runtime/priority.ts';

/** A piece of work that runs until `finish()` is called. */
function gated() {
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { finish, work: () => done };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('foreground first', () => {
  it('runs up to `idle` background invocations at once when nothing waits in the foreground', async () => {
    const p = new ForegroundFirst({ busy: 1, idle: 3 });
    const started: number[] = [];
    const jobs = Array.from({ length: 5 }, () => gated());
    const all = jobs.map((j, i) =>
      p.background(async () => {
        started.push(i);
        await j.work();
      }),
    );
    await tick();
    expect(started).toEqual([0, 1, 2]);
    jobs[1]!.finish();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const j of jobs) j.finish();
    await Promise.all(all);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(p.state).toEqual({ foreground: 0, background: 0, waiting: 0 });
  });

  it('holds background work to `busy` while foreground work is in flight, then drains it in order', async () => {
    const p = new ForegroundFirst({ busy: 1, idle: 4 });
    const fg = gated();
    const foreground = p.foreground(fg.work);
    const started: number[] = [];
    const jobs = Array.from({ length: 4 }, () => gated());
    const all = jobs.map((j, i) =>
      p.background(async () => {
        started.push(i);
        await j.work();
      }),
    );
    await tick();
    expect(started).toEqual([0]);
    jobs[0]!.finish();
    await tick();
    expect(started).toEqual([0, 1]); // still one at a time
    fg.finish();
    await foreground;
    await tick();
    expect(started).toEqual([0, 1, 2, 3]); // the foreground is quiet: the rest run at once
    for (const j of jobs) j.finish();
    await Promise.all(all);
  });

  it('never delays foreground work, and a failure frees its slot', async () => {
    const p = new ForegroundFirst({ busy: 1, idle: 1 });
    const bg = gated();
    const running = p.background(bg.work);
    await expect(p.foreground(async () => 'answered')).resolves.toBe('answered');
    await expect(
      p.foreground(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const failing = p.background(async () => {
      throw new Error('bad');
    });
    bg.finish();
    await running;
    await expect(failing).rejects.toThrow('bad');
    expect(p.state).toEqual({ foreground: 0, background: 0, waiting: 0 });
  });
});
