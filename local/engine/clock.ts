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
  readonly due: number;
  readonly seq: number;
  readonly cb: () => void;
  /** waiting in the heap; false once fired or cancelled */
  pending: boolean;
}

const before = (a: VTimer, b: VTimer) => a.due < b.due || (a.due === b.due && a.seq < b.seq);

/**
 * A clock that only moves when told. `advance()` fires due timers in time order and, after each
 * firing, waits for every registered settle hook (the engines report quiescence), so a test sees
 * executions at their next blocking point.
 *
 * Timers live in a binary heap ordered by (due, creation): arming, cancelling and finding the next
 * one cost O(log n) however many are pending (the event bus and the queues keep one per pending
 * delivery or message, tens of thousands at a time). Cancelled timers are dropped lazily, and the
 * heap is rebuilt without them once they are the majority.
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private heap: VTimer[] = [];
  private live = 0;
  private cancelled = 0;
  private flushQueued = false;
  private settlers = new Set<() => Promise<void>>();

  constructor(startMs: number | Date = Date.parse('2025-01-01T00:00:00.000Z')) {
    this.t = typeof startMs === 'number' ? startMs : startMs.getTime();
  }

  now(): number {
    return this.t;
  }

  at(dueMs: number, cb: () => void): TimerHandle {
    const timer: VTimer = { due: dueMs, seq: this.seq++, cb, pending: true };
    this.push(timer);
    this.live++;
    if (dueMs <= this.t && !this.flushQueued) {
      // One microtask fires every timer armed in the past since the last one (not one each).
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.fireDue();
      });
    }
    return {
      cancel: () => {
        if (!timer.pending) return;
        timer.pending = false;
        this.live--;
        this.cancelled++;
        if (this.cancelled > 1024 && this.cancelled * 2 > this.heap.length) this.rebuild();
      },
    };
  }

  onSettle(fn: () => Promise<void>): () => void {
    this.settlers.add(fn);
    return () => this.settlers.delete(fn);
  }

  /** Number of pending (uncancelled) timers. */
  get pending(): number {
    return this.live;
  }

  /** Due time of the earliest pending timer, if any. */
  nextDue(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.due;
  }

  private fireDue(): void {
    const due: VTimer[] = [];
    for (;;) {
      this.dropCancelled();
      const top = this.heap[0];
      if (!top || top.due > this.t) break;
      this.pop();
      due.push(top);
    }
    for (const timer of due) {
      // A callback earlier in this batch may have cancelled a later one.
      if (!timer.pending) continue;
      timer.pending = false;
      this.live--;
      timer.cb();
    }
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && !this.heap[0]!.pending) {
      this.pop();
      this.cancelled--;
    }
  }

  private rebuild(): void {
    this.heap = this.heap.filter((t) => t.pending);
    this.cancelled = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private push(timer: VTimer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    this.down(0);
  }

  private down(start: number): void {
    const heap = this.heap;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
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
