/**
 * The run queue: every mutation of the engine (a state step, a task result, a timer, an API call) is
 * a job on one FIFO queue, so executions interleave on the event loop without recursion. Most jobs
 * complete synchronously (no await, no microtask hop); the queue yields to the event loop after
 * ~5 ms of continuous work so I/O, timers and API callers are served during long backlogs.
 */

export type Job = () => Promise<void> | void;

/** The run queue yields to the event loop (I/O, timers, API callers) after this much busy time. */
const SLICE_MS = 5;

export class RunQueue {
  private queue: (Job | undefined)[] = [];
  private head = 0;
  private pumping = false;
  /** task handlers running (outside the queue) */
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];

  /** `settle` resolves once the work done so far is durable (journal flushed, no snapshot running). */
  constructor(private readonly settle: () => Promise<unknown>) {}

  schedule(job: Job): void {
    this.queue.push(job);
    if (!this.pumping) {
      this.pumping = true;
      queueMicrotask(() => void this.pump());
    }
  }

  private async pump(): Promise<void> {
    let sliceStart = performance.now();
    let jobs = 0;
    while (this.head < this.queue.length) {
      const job = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      try {
        const r = job();
        if (r) await r;
      } catch (e) {
        // an engine bug must not kill the loop
        console.error('[sfn-engine] internal error', e);
      }
      // fairness: let I/O, timers and API callers in while a long backlog is being worked off
      if ((++jobs & 31) === 0 && performance.now() - sliceStart > SLICE_MS) {
        await new Promise<void>((r) => setImmediate(r));
        sliceStart = performance.now();
      }
    }
    this.queue = [];
    this.head = 0;
    this.pumping = false;
    this.checkIdle();
  }

  /** A task handler started / finished running (idle waits for it). */
  taskStarted(): void {
    this.inflight++;
  }
  taskFinished(): void {
    this.inflight--;
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.pumping || this.inflight > 0 || this.idleWaiters.length === 0) return;
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    void this.settle().then(() => {
      for (const w of ws) w();
    });
  }

  /**
   * Resolves when no job is queued and no task handler is running (everything blocked or done) and
   * the work is settled.
   */
  idle(): Promise<void> {
    return new Promise<void>((r) => {
      this.idleWaiters.push(r);
      this.checkIdle();
    });
  }

  /** Run `fn` as a job (serialised with every other); resolves with its result. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.schedule(() => {
        let r: Promise<T> | T;
        try {
          r = fn();
        } catch (e) {
          reject(e);
          return;
        }
        if (r instanceof Promise) return r.then(resolve, reject);
        resolve(r);
      });
    });
  }
}
