/**
 * Gives the C heap's free memory back to the system after sandboxes end (decision 53), and sets
 * how glibc's malloc keeps it (decision 55).
 *
 * A sandbox is a worker thread with its own V8 isolate; when it is reclaimed, the isolate frees
 * tens of MiB that glibc's malloc keeps in its arenas for later use, where the process's RSS goes
 * on counting them (at rest after 8,000 webhook deliveries, 131 MiB of the arenas was free).
 * glibc's `malloc_trim(0)` hands the free pages of every arena back to the kernel.
 * Node has no binding for it; koffi (a maintained FFI library shipping prebuilt binaries) calls it.
 * Where there is no glibc (macOS, musl) or koffi cannot load, trimming is skipped: nothing else
 * depends on it.
 */
import { createRequire } from 'node:module';
import { type Timers, unrefTimers } from './timers.ts';

/** Calls glibc's `malloc_trim(0)`; true if memory went back to the system. */
export type MallocTrim = () => boolean;

type Koffi = typeof import('koffi');
type Libc = ReturnType<Koffi['load']>;
let libcLoaded: { koffi: Koffi; lib: Libc } | null | undefined;

/** glibc through koffi, loaded once; undefined where there is none. */
function glibcWithKoffi(): { koffi: Koffi; lib: Libc } | undefined {
  if (libcLoaded !== undefined) return libcLoaded ?? undefined;
  libcLoaded = null;
  if (process.platform !== 'linux') return undefined;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    libcLoaded = { koffi, lib: koffi.load('libc.so.6') };
  } catch {
    // not glibc (musl has no libc.so.6), or no prebuilt koffi binary for this platform
  }
  return libcLoaded ?? undefined;
}

const glibc = (): Libc | undefined => glibcWithKoffi()?.lib;

/** What glibc's malloc holds (`mallinfo2`, every arena): bytes in use, free in its arenas, and mapped whole. */
export interface MallocStats {
  readonly inUse: number;
  readonly free: number;
  readonly mapped: number;
}

let mallinfo: (() => MallocStats) | null | undefined;

/** glibc's `mallinfo2()` (glibc 2.33 and later), or undefined where there is none. For the benches. */
export function glibcMallocStats(): MallocStats | undefined {
  if (mallinfo === undefined) {
    mallinfo = null;
    const libc = glibcWithKoffi();
    try {
      if (libc) {
        const fields = [
          'arena',
          'ordblks',
          'smblks',
          'hblks',
          'hblkhd',
          'usmblks',
          'fsmblks',
          'uordblks',
          'fordblks',
          'keepcost',
        ];
        const struct = libc.koffi.struct(
          'storeflow_mallinfo2',
          Object.fromEntries(fields.map((f) => [f, 'size_t'])),
        );
        const call = libc.lib.func('mallinfo2', struct, []) as () => Record<string, number | bigint>;
        mallinfo = () => {
          const m = call();
          return { inUse: Number(m.uordblks), free: Number(m.fordblks), mapped: Number(m.hblkhd) };
        };
      }
    } catch {
      // a glibc older than 2.33
    }
  }
  return mallinfo?.();
}

let loaded: MallocTrim | null | undefined;

/** glibc's `malloc_trim`, or undefined where there is none (loaded once). */
export function glibcMallocTrim(): MallocTrim | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  const trim = glibc()?.func('int malloc_trim(size_t pad)') as ((pad: number) => number) | undefined;
  loaded = trim ? () => trim(0) === 1 : null;
  return loaded ?? undefined;
}

/**
 * glibc's malloc settings the runtime applies to its own process (decision 55), through `mallopt`:
 * - `M_MMAP_THRESHOLD` 128 KiB, fixed. glibc starts there but raises the threshold to the size of
 *   any mmapped block that is freed (up to 32 MiB): once a reclaimed sandbox's isolate freed its big
 *   blocks, every later block below that size came from the arenas, where a few live ones pin the
 *   pages around them. Setting it turns the raise off (and keeps the trim threshold at 128 KiB):
 *   a big block the arena's free top cannot hold is mapped, and unmapped whole when freed.
 * - `M_ARENA_MAX` 2. glibc gives threads up to 8 arenas per core; each sandbox's thread, the
 *   libuv pool's and LevelDB's leave live blocks in their arena, and no trim gives back a page that
 *   holds one. Two arenas keep them together.
 * A setting the environment already makes (`GLIBC_TUNABLES` or `MALLOC_*_`) is left as it is.
 * `M_ARENA_MAX` only takes effect before glibc has counted 8 arenas, so this runs when the runtime
 * starts, before its sandboxes.
 */
export interface MallocTuning {
  readonly mmapThreshold: number;
  readonly arenaMax: number;
}

export const RUNTIME_MALLOC: MallocTuning = { mmapThreshold: 128 * 1024, arenaMax: 2 };

const M_MMAP_THRESHOLD = -3;
const M_ARENA_MAX = -8;

let tuned: string[] | undefined;

/**
 * Applies `tuning` with `mallopt` (once per process); returns the settings applied, empty where
 * there is no glibc or the environment sets them.
 */
export function tuneGlibcMalloc(
  tuning: MallocTuning = RUNTIME_MALLOC,
  env: NodeJS.ProcessEnv = process.env,
): readonly string[] {
  if (tuned) return tuned;
  tuned = [];
  const mallopt = glibc()?.func('int mallopt(int param, int value)') as
    | ((param: number, value: number) => number)
    | undefined;
  if (!mallopt) return tuned;
  const tunables = env.GLIBC_TUNABLES ?? '';
  const set = (name: string, tunable: string, envName: string, param: number, value: number) => {
    if (tunables.includes(`glibc.malloc.${tunable}=`) || env[envName] !== undefined) return;
    if (mallopt(param, value) === 1) tuned?.push(`${name}=${value}`);
  };
  set('M_MMAP_THRESHOLD', 'mmap_threshold', 'MALLOC_MMAP_THRESHOLD_', M_MMAP_THRESHOLD, tuning.mmapThreshold);
  set('M_ARENA_MAX', 'arena_max', 'MALLOC_ARENA_MAX', M_ARENA_MAX, tuning.arenaMax);
  return tuned;
}

/**
 * Trims once sandboxes have stopped ending for `quietMs`: an idle timeout reclaims a burst's
 * sandboxes one after another, and one trim after the last serves them all. A trim walks every
 * arena under its lock, on the main thread (60 ms to give back 700 MiB on a 2-core VM); it comes
 * after an idle timeout, when the runtime is quiet.
 */
export class HeapTrimmer {
  #timer: unknown;
  #trims = 0;

  constructor(
    /** glibcMallocTrim() in the runtime; undefined: a trimmer that does nothing */
    private readonly trim: MallocTrim | undefined,
    private readonly quietMs = 1_000,
    private readonly timers: Timers = unrefTimers,
  ) {}

  /** How many trims ran (tests). */
  get trims(): number {
    return this.#trims;
  }

  /** A sandbox's isolate was freed: trim once none has been for `quietMs`. */
  sandboxFreed(): void {
    if (!this.trim) return;
    this.cancel();
    this.#timer = this.timers.setTimeout(() => this.now(), this.quietMs);
  }

  /** Trims now (and cancels a pending trim): after an explicit reclaim, before memory is read. */
  now(): void {
    if (!this.trim) return;
    this.cancel();
    this.trim();
    this.#trims++;
  }

  /** Drops a pending trim (the runtime is closing). */
  cancel(): void {
    if (this.#timer !== undefined) this.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
