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
    expect(p.state).toEqual({ foreground: 0, background: 0, waiting: 0, saturated: false, heldRequests: 0 });
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
    expect(p.state).toEqual({ foreground: 0, background: 0, waiting: 0, saturated: false, heldRequests: 0 });
  });
});

/** Controllable time for the hold's bound: `advance` fires what is due. */
function manualTimers() {
  let now = 0;
  let nextId = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      const id = ++nextId;
      due.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (id: unknown) => {
      due.delete(id as number);
    },
    advance(ms: number) {
      now += ms;
      for (const [id, t] of [...due].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at > now) continue;
        due.delete(id);
        t.fn();
      }
    },
    get pending() {
      return due.size;
    },
  };
}

describe('foreground first, while requests queue for their sandboxes', () => {
  const lane = { key: 'Api', capacity: 2 };

  it('starts no background work while a lane has more requests than sandboxes, then one at a time', async () => {
    const timers = manualTimers();
    const p = new ForegroundFirst({ busy: 1, idle: 4, maxHoldMs: 30_000, timers });
    const requests = Array.from({ length: 3 }, () => gated());
    const inFlight = requests.map((r) => p.foreground(r.work, lane));
    expect(p.state.saturated).toBe(true);
    const started: number[] = [];
    const jobs = Array.from({ length: 3 }, () => gated());
    const all = jobs.map((j, i) =>
      p.background(async () => {
        started.push(i);
        await j.work();
      }),
    );
    await tick();
    expect(started).toEqual([]); // held: the requests have the cores
    requests[0]!.finish();
    await inFlight[0];
    await tick();
    expect(p.state.saturated).toBe(false);
    expect(started).toEqual([0]); // requests in flight, none queued: `busy` at once
    requests[1]!.finish();
    requests[2]!.finish();
    await Promise.all(inFlight);
    await tick();
    expect(started).toEqual([0, 1, 2]); // quiet: up to `idle`
    for (const j of jobs) j.finish();
    await Promise.all(all);
    expect(p.state).toEqual({ foreground: 0, background: 0, waiting: 0, saturated: false, heldRequests: 0 });
    expect(timers.pending).toBe(0);
  });

  it('lets a background invocation run once it has waited maxHoldMs, whatever the foreground does', async () => {
    const timers = manualTimers();
    const p = new ForegroundFirst({ busy: 1, idle: 4, maxHoldMs: 30_000, timers });
    const requests = Array.from({ length: 3 }, () => gated());
    const inFlight = requests.map((r) => p.foreground(r.work, lane));
    const started: number[] = [];
    const jobs = Array.from({ length: 2 }, () => gated());
    const all = jobs.map((j, i) =>
      p.background(async () => {
        started.push(i);
        await j.work();
      }),
    );
    timers.advance(29_999);
    await tick();
    expect(started).toEqual([]);
    timers.advance(1);
    await tick();
    expect(started).toEqual([0]); // overdue: runs, one at a time (`busy`)
    timers.advance(60_000);
    await tick();
    expect(started).toEqual([0]); // the next waits for the slot
    jobs[0]!.finish();
    await tick();
    await tick();
    expect(started).toEqual([0, 1]); // it too is overdue by now
    for (const r of requests) r.finish();
    for (const j of jobs) j.finish();
    await Promise.all([...inFlight, ...all]);
    expect(p.state.waiting).toBe(0);
  });

  it('counts each lane against its own sandboxes', async () => {
    const p = new ForegroundFirst({ busy: 1, idle: 4 });
    const a = Array.from({ length: 2 }, () => gated());
    const b = Array.from({ length: 2 }, () => gated());
    const running = [
      ...a.map((r) => p.foreground(r.work, { key: 'A', capacity: 2 })),
      ...b.map((r) => p.foreground(r.work, { key: 'B', capacity: 2 })),
    ];
    expect(p.state.saturated).toBe(false); // four in flight, but no lane over its two sandboxes
    const extra = gated();
    const more = p.foreground(extra.work, { key: 'B', capacity: 2 });
    expect(p.state.saturated).toBe(true);
    extra.finish();
    await more;
    expect(p.state.saturated).toBe(false);
    for (const r of [...a, ...b]) r.finish();
    await Promise.all(running);
  });
});

describe('foreground first, by default', () => {
  it('holds nothing while requests queue: one background invocation at a time, as before', async () => {
    const p = new ForegroundFirst({ busy: 1, idle: 4 });
    const requests = Array.from({ length: 3 }, () => gated());
    const inFlight = requests.map((r) => p.foreground(r.work, { key: 'Api', capacity: 2 }));
    expect(p.state.saturated).toBe(true);
    const started: number[] = [];
    const job = gated();
    const running = p.background(async () => {
      started.push(0);
      await job.work();
    });
    await tick();
    expect(started).toEqual([0]);
    job.finish();
    for (const r of requests) r.finish();
    await Promise.all([...inFlight, running]);
  });
});

describe('foreground first, for the calls background invocations make', () => {
  it('serves a background call at once when no foreground work is in flight', () => {
    const p = new ForegroundFirst({ busy: 1, idle: 4, timers: manualTimers() });
    expect(p.backgroundRequest()).toBeUndefined();
  });

  it('holds background calls while foreground work is in flight and serves them, in order, when it ends', async () => {
    const timers = manualTimers();
    const p = new ForegroundFirst({ busy: 1, idle: 4, requestHoldMs: 100, timers });
    const a = gated();
    const b = gated();
    const first = p.foreground(a.work);
    const second = p.foreground(b.work);
    const served: number[] = [];
    for (const n of [1, 2, 3]) void p.backgroundRequest()!.then(() => served.push(n));
    expect(p.state.heldRequests).toBe(3);
    timers.advance(50);
    await tick();
    expect(served).toEqual([]);
    a.finish();
    await first;
    await tick();
    expect(served).toEqual([]); // one request still in flight
    b.finish();
    await second;
    await tick();
    expect(served).toEqual([1, 2, 3]);
    expect(p.state.heldRequests).toBe(0);
    expect(timers.pending).toBe(0); // their hold timers went with them
    expect(p.backgroundRequest()).toBeUndefined();
  });

  it('serves a held call once it has waited requestHoldMs, whatever the foreground does', async () => {
    const timers = manualTimers();
    const p = new ForegroundFirst({ busy: 1, idle: 4, requestHoldMs: 100, timers });
    const fg = gated();
    const inFlight = p.foreground(fg.work);
    const served: string[] = [];
    void p.backgroundRequest()!.then(() => served.push('early'));
    timers.advance(60);
    void p.backgroundRequest()!.then(() => served.push('late'));
    timers.advance(40);
    await tick();
    expect(served).toEqual(['early']);
    timers.advance(59);
    await tick();
    expect(served).toEqual(['early']);
    timers.advance(1);
    await tick();
    expect(served).toEqual(['early', 'late']);
    fg.finish();
    await inFlight;
  });

  it('never holds with requestHoldMs 0', () => {
    const p = new ForegroundFirst({ busy: 1, idle: 4, requestHoldMs: 0, timers: manualTimers() });
    const fg = gated();
    void p.foreground(fg.work);
    expect(p.backgroundRequest()).toBeUndefined();
    fg.finish();
  });
});
