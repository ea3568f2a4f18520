import { closeSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, realClock, type TimerHandle, VirtualClock } from '../engine/clock.ts';

/**
 * The runtime's clock. Every part of the runtime (engine, event bus, queues, schedules) and every
 * Lambda sandbox reads it: sandboxes through `shared`, one Float64 of epoch milliseconds that their
 * `Date` reads when the clock is virtual. `settle()` waits until the work the clock set off is done,
 * whichever kind the clock is.
 */
export interface RuntimeClock extends Clock {
  readonly kind: 'real' | 'virtual';
  /** For sandboxes; present for a virtual clock only. */
  readonly shared?: SharedArrayBuffer;
  onSettle(fn: () => Promise<void>): () => void;
  /** Resolves once every part of the runtime is quiet (no due work in flight). */
  settle(): Promise<void>;
  /** Virtual clocks only: move time forward, firing everything due, then settle and persist. */
  advance?(seconds: number): Promise<void>;
}

/** Real time, plus the settle hooks the runtime uses to wait for quiet. */
export function realRuntimeClock(): RuntimeClock {
  const base = realClock();
  const settlers = new Set<() => Promise<void>>();
  return {
    kind: 'real',
    now: base.now,
    at: base.at,
    onSettle(fn) {
      settlers.add(fn);
      return () => settlers.delete(fn);
    },
    async settle() {
      for (let i = 0; i < 3; i++) {
        for (const s of settlers) await s();
        await new Promise<void>((r) => setImmediate(r));
      }
    },
  };
}

/**
 * A virtual clock persisted in `<data>/clock.json`: it starts at real time on a new data
 * directory, only moves when advanced, and resumes where it stood after a restart. Also after
 * kill -9 in the middle of an advance: the instant of every timer that fires is saved before the
 * timer's work runs, so time never goes back behind work that was done (an hourly run that
 * started at 10:00 does not resume at 09:30). The file is created atomically (a temporary file
 * renamed over it) and then rewritten in place, one `write` of a text of fixed length (an ISO
 * instant), which a killed process never leaves half done.
 */
export class PersistentVirtualClock extends VirtualClock implements RuntimeClock {
  readonly kind = 'virtual';
  readonly shared = new SharedArrayBuffer(8);
  readonly #view = new Float64Array(this.shared);
  readonly #file: string;
  /** The instant clock.json holds. */
  #saved: number;

  constructor(dataDir: string, startMs: number = Date.now()) {
    const file = join(dataDir, 'clock.json');
    let now = startMs;
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { now?: string };
      const parsed = Date.parse(String(saved.now));
      if (Number.isFinite(parsed)) now = parsed;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`${file}: cannot read the saved virtual clock (${(error as Error).message})`);
      }
    }
    super(now);
    this.#file = file;
    this.#view[0] = now;
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, PersistentVirtualClock.#text(now));
    renameSync(tmp, file);
    this.#saved = now;
  }

  override at(dueMs: number, cb: () => void): TimerHandle {
    // Sandboxes must see the instant a timer fires at before the work it starts runs, and a
    // restart must not find the clock behind it.
    return super.at(dueMs, () => {
      this.#view[0] = this.now();
      this.#persist();
      cb();
    });
  }

  override async advanceTo(targetMs: number): Promise<void> {
    await super.advanceTo(targetMs);
    this.#view[0] = this.now();
    this.#persist();
  }

  static #text(ms: number): string {
    return JSON.stringify({ now: new Date(ms).toISOString() });
  }

  #persist(): void {
    const now = this.now();
    if (now === this.#saved) return;
    const fd = openSync(this.#file, 'r+');
    try {
      // Same length as what it replaces (years 0000–9999): nothing to truncate.
      writeSync(fd, PersistentVirtualClock.#text(now), 0);
    } finally {
      closeSync(fd);
    }
    this.#saved = now;
  }
}
