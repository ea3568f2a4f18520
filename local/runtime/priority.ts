/**
 * Who runs first when the machine is short of cores: the runtime's synchronous work (an HTTP
 * request waiting for its function's answer) before background work (asynchronous invocations:
 * EventBridge targets, destinations). On AWS a webhook's acknowledgement does not share CPU with
 * the consumers of the events it published; on one machine it does, and with every consumer's
 * sandbox competing for the same cores (and the one main thread that answers their AWS calls), the
 * acknowledgement queued behind work nobody is waiting for.
 *
 * Background work is bounded, never dropped: while any foreground work is in flight, at most
 * `busy` background invocations run at once (the rest wait in order; their events are already
 * durable in the asynchronous-invocation journal), and up to `idle` when there is none. Everything
 * drains once the foreground is quiet, and settling waits for it as before.
 */
export interface PriorityOptions {
  /** Background invocations running at once while foreground work is in flight (at least 1). */
  readonly busy: number;
  /** Background invocations running at once otherwise. */
  readonly idle: number;
}

export class ForegroundFirst {
  #foreground = 0;
  #background = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(private readonly options: PriorityOptions) {}

  /** Foreground work in flight and background work running or waiting, for tests and logs. */
  get state(): { foreground: number; background: number; waiting: number } {
    return { foreground: this.#foreground, background: this.#background, waiting: this.#waiting.length };
  }

  /** Runs foreground work: never waits here; background work holds back while it is in flight. */
  async foreground<T>(work: () => Promise<T>): Promise<T> {
    this.#foreground++;
    try {
      return await work();
    } finally {
      this.#foreground--;
      this.#pump();
    }
  }

  /** Runs background work once a slot is free, in the order asked. */
  async background<T>(work: () => Promise<T>): Promise<T> {
    if (this.#waiting.length > 0 || this.#background >= this.#limit()) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
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

  #limit(): number {
    return Math.max(1, this.#foreground > 0 ? this.options.busy : this.options.idle);
  }

  #pump(): void {
    while (this.#waiting.length > 0 && this.#background < this.#limit()) {
      this.#background++;
      this.#waiting.shift()!();
    }
  }
}
