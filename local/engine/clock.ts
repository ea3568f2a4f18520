/** Time as a port: the engine never reads Date.now() or setTimeout directly. */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** epoch milliseconds */
  now(): number;
  /** Call `cb` once the clock reaches `dueMs` (immediately-ish if already past). */
  at(dueMs: number, cb: () => void): TimerHandle;
  /** Register a function the clock awaits to let work settle after firing timers (virtual clocks only). */
  onSettle?(fn: () => Promise<void>): () => void;
}

const MAX_TIMEOUT = 2 ** 31 - 1;

/** Real time. Long waits (days) are chained because setTimeout caps at ~24.8 days. */
export const realClock = (): Clock => ({
  now: () => Date.now(),
  at(dueMs, cb) {
    let t: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = () => {
      if (cancelled) return;
      const delay = dueMs - Date.now();
      if (delay <= 0) {
        t = setTimeout(cb, 0);
        return;
      }
      t = setTimeout(delay > MAX_TIMEOUT ? arm : cb, Math.min(delay, MAX_TIMEOUT));
    };
    arm();
    return {
      cancel() {
        cancelled = true;
        if (t) clearTimeout(t);
      },
    };
  },
});

interface VTimer {
  due: number;
  seq: number;
  cb: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told. `advance()` fires due timers in time order and, after each
 * firing, waits for every registered settle hook (the engines report quiescence), so a test sees
 * executions at their next blocking point.
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: VTimer[] = [];
  private settlers = new Set<() => Promise<void>>();

  constructor(startMs: number | Date = Date.parse('2025-01-01T00:00:00.000Z')) {
    this.t = typeof startMs === 'number' ? startMs : startMs.getTime();
  }

  now(): number {
    return this.t;
  }

  at(dueMs: number, cb: () => void): TimerHandle {
    const timer: VTimer = { due: dueMs, seq: this.seq++, cb, cancelled: false };
    this.timers.push(timer);
    if (dueMs <= this.t) queueMicrotask(() => this.fireDue());
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  onSettle(fn: () => Promise<void>): () => void {
    this.settlers.add(fn);
    return () => this.settlers.delete(fn);
  }

  /** Number of pending (uncancelled) timers. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Due time of the earliest pending timer, if any. */
  nextDue(): number | undefined {
    let best: number | undefined;
    for (const t of this.timers) if (!t.cancelled && (best === undefined || t.due < best)) best = t.due;
    return best;
  }

  private fireDue(): void {
    const due = this.timers
      .filter((t) => !t.cancelled && t.due <= this.t)
      .sort((a, b) => a.due - b.due || a.seq - b.seq);
    this.timers = this.timers.filter((t) => !t.cancelled && t.due > this.t);
    for (const t of due) t.cb();
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      for (const s of this.settlers) await s();
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Move time forward by `seconds`, firing timers in order and settling after each instant. */
  async advance(seconds: number): Promise<void> {
    await this.advanceTo(this.t + seconds * 1000);
  }

  async advanceTo(targetMs: number): Promise<void> {
    await this.settle();
    for (;;) {
      const next = this.nextDue();
      if (next === undefined || next > targetMs) break;
      if (next > this.t) this.t = next;
      this.fireDue();
      await this.settle();
    }
    if (targetMs > this.t) this.t = targetMs;
    await this.settle();
  }

  /** Advance to the next pending timer (if any); returns false when nothing is scheduled. */
  async runNext(): Promise<boolean> {
    const next = this.nextDue();
    if (next === undefined) return false;
    await this.advanceTo(Math.max(next, this.t));
    return true;
  }
}
