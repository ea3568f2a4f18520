/**
 * Who runs first when the machine is short of cores: the runtime's synchronous work (an HTTP
 * request waiting for its function's answer) before background work (asynchronous invocations:
 * EventBridge targets, destinations). On AWS a webhook's acknowledgement does not share CPU with
 * the consumers of the events it published (asynchronous invocations run on their own capacity);
 * on one machine it does, and with every consumer's sandbox competing for the same cores (and the
 * one main thread that answers their AWS calls), the acknowledgement queued behind work nobody is
 * waiting for.
 *
 * Background work is bounded, never dropped:
 * - with `maxHoldMs` set (opt-in), while requests queue for their function's sandboxes
 *   (`saturated`: more in flight on a lane than it has sandboxes), no new background invocation
 *   starts: the cores go to the requests;
 * - while foreground work is in flight without queueing, at most `busy` run at once;
 * - otherwise up to `idle`.
 * A background invocation that has waited `maxHoldMs` runs whatever the foreground does (at most
 * `busy` of those at once), so a saturating stream of requests delays the consumers, never stops
 * them. The waiting invocations' events are already durable in the asynchronous-invocation journal;
 * everything drains once the foreground is quiet, and settling waits for it as before.
 */
import { type Timers, unrefTimers } from './timers.ts';

export interface PriorityOptions {
  /** Background invocations running at once while foreground work is in flight (at least 1). */
  readonly busy: number;
  /** Background invocations running at once otherwise. */
  readonly idle: number;
  /**
   * How long a background invocation waits at most while requests queue (default 0: never held,
   * `busy` at once as before; decision 37 measured no gain in acknowledgements/s on a shared
   * machine with 30 s, so holding is opt-in).
   */
  readonly maxHoldMs?: number;
  /**
   * How long an AWS call a background invocation makes waits at most, while foreground work is in
   * flight, before the main thread serves it (default DEFAULT_REQUEST_HOLD_MS; 0: never). The
   * invocation-level limits above decide which background invocations start; this one keeps those
   * already running from taking the main thread (the store, the bus) from an acknowledgement in
   * flight. Their sandboxes wait on the answer meanwhile, so they leave the cores alone too.
   */
  readonly requestHoldMs?: number;
  /** Timers and time for the hold's bound (tests pass controllable ones). */
  readonly timers?: PriorityTimers;
}

export interface PriorityTimers extends Timers {
  now(): number;
}

/** A foreground invocation's function: its name and how many sandboxes it has at most. */
export interface Lane {
  readonly key: string;
  readonly capacity: number;
}

export const DEFAULT_MAX_HOLD_MS = 0;

/**
 * A background invocation's AWS call waits at most this long while foreground work is in flight:
 * long enough for an acknowledgement (tens of ms, a 2,000-line order's ~150 ms) to run without the
 * consumers' calls on the main thread, short enough that a foreground request that does wait on a
 * consumer (none in the app does) is slowed, never stuck. Decision 51.
 */
export const DEFAULT_REQUEST_HOLD_MS = 100;

const realTimers: PriorityTimers = { ...unrefTimers, now: () => performance.now() };

interface Waiter {
  readonly since: number;
  readonly start: () => void;
}

export class ForegroundFirst {
  #foreground = 0;
  #background = 0;
  readonly #waiting: Waiter[] = [];
  /** foreground invocations in flight per lane (waiting for a sandbox or running) */
  readonly #lanes = new Map<string, { inFlight: number; capacity: number }>();
  /** lanes with more in flight than sandboxes */
  #saturated = 0;
  #holdTimer: unknown;
  /** the waiter the hold timer is armed for */
  #holdFor: Waiter | undefined;
  /** background invocations' AWS calls waiting for the foreground to end (or their hold to pass) */
  readonly #requests = new Set<{ readonly go: () => void; readonly timer: unknown }>();

  constructor(private readonly options: PriorityOptions) {}

  get #timers(): PriorityTimers {
    return this.options.timers ?? realTimers;
  }

  /** Foreground work in flight and background work running or waiting, for tests and logs. */
  get state(): {
    foreground: number;
    background: number;
    waiting: number;
    saturated: boolean;
    heldRequests: number;
  } {
    return {
      foreground: this.#foreground,
      background: this.#background,
      waiting: this.#waiting.length,
      saturated: this.#saturated > 0,
      heldRequests: this.#requests.size,
    };
  }

  /**
   * Before the main thread serves an AWS call a background invocation makes: undefined to serve it
   * now (no foreground work in flight), else a promise that settles once the foreground work ends
   * or `requestHoldMs` has passed, whichever comes first.
   */
  backgroundRequest(): Promise<void> | undefined {
    const hold = this.options.requestHoldMs ?? DEFAULT_REQUEST_HOLD_MS;
    if (this.#foreground === 0 || hold <= 0) return undefined;
    return new Promise<void>((resolve) => {
      const timers = this.#timers;
      const entry = {
        go: () => {
          this.#requests.delete(entry);
          resolve();
        },
        timer: timers.setTimeout(() => entry.go(), hold),
      };
      this.#requests.add(entry);
    });
  }

  /**
   * Runs foreground work: never waits here; background work holds back while it is in flight.
   * `lane`: the function it invokes, so requests queueing for its sandboxes hold background work.
   */
  async foreground<T>(work: () => Promise<T>, lane?: Lane): Promise<T> {
    this.#foreground++;
    const l = lane ? this.#enter(lane) : undefined;
    try {
      return await work();
    } finally {
      this.#foreground--;
      if (l) this.#leave(l);
      if (this.#foreground === 0) this.#releaseRequests();
      this.#pump();
    }
  }

  /** The foreground is quiet: every held background call is served now, in the order held. */
  #releaseRequests(): void {
    const timers = this.#timers;
    for (const entry of [...this.#requests]) {
      timers.clearTimeout(entry.timer);
      entry.go();
    }
  }

  /** Runs background work once a slot is free, in the order asked. */
  async background<T>(work: () => Promise<T>): Promise<T> {
    if (this.#waiting.length > 0 || this.#background >= this.#limit(false)) {
      await new Promise<void>((start) => {
        this.#waiting.push({ since: this.#timers.now(), start });
        this.#armHold();
      });
    } else {
      this.#background++;
    }
    try {
      return await work();
    } finally {
      this.#background--;
      this.#pump();
    }
  }

  #enter(lane: Lane): { inFlight: number; capacity: number } {
    let l = this.#lanes.get(lane.key);
    if (!l) {
      l = { inFlight: 0, capacity: lane.capacity };
      this.#lanes.set(lane.key, l);
    }
    l.inFlight++;
    if (l.inFlight === l.capacity + 1) this.#saturated++;
    return l;
  }

  #leave(l: { inFlight: number; capacity: number }): void {
    if (l.inFlight === l.capacity + 1) this.#saturated--;
    l.inFlight--;
  }

  /** Background invocations allowed at once now; `overdue`: the first waiter has waited too long. */
  #limit(overdue: boolean): number {
    if (this.#foreground === 0) return Math.max(1, this.options.idle);
    const busy = Math.max(1, this.options.busy);
    return this.#saturated > 0 && !overdue && this.#maxHold > 0 ? 0 : busy;
  }

  #overdue(): boolean {
    const first = this.#waiting[0];
    return first !== undefined && this.#timers.now() - first.since >= this.#maxHold;
  }

  get #maxHold(): number {
    return this.options.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
  }

  #pump(): void {
    while (this.#waiting.length > 0 && this.#background < this.#limit(this.#overdue())) {
      this.#background++;
      this.#waiting.shift()!.start();
    }
    this.#armHold();
  }

  /** Wakes the pump when the first waiter becomes overdue (nothing else may happen meanwhile). */
  #armHold(): void {
    const first = this.#waiting[0];
    if (first === this.#holdFor) return;
    const timers = this.#timers;
    if (this.#holdTimer !== undefined) timers.clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    this.#holdFor = first;
    if (!first) return;
    const due = first.since + this.#maxHold - timers.now();
    // Already overdue: it runs as soon as a background slot frees, which pumps again.
    if (due <= 0) return;
    this.#holdTimer = timers.setTimeout(() => {
      this.#holdTimer = undefined;
      this.#holdFor = undefined;
      this.#pump();
    }, due);
  }
}
