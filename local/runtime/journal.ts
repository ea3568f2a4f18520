import {
  closeSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface JournalOptions<R = unknown> {
  /** fdatasync each group commit (default true). false survives a process kill, not a power cut. */
  readonly fsync?: boolean;
  /**
   * A record as one line of JSON, without the newline (default JSON.stringify): for records that
   * carry JSON text, to write it as JSON rather than escaped into a string.
   */
  readonly serialize?: (record: R) => string;
}

/**
 * An append-only JSON-lines file with group commit: the local runtime's durable record of work
 * in flight (undelivered events, queued messages, pending schedules). Appends are buffered; every
 * `commit()` waiting at the same time is satisfied by one `write` + `fdatasync`. A torn last line
 * (the process killed mid-write) is dropped and truncated on open. `rewrite()` compacts the file to
 * the records still live, streamed to a temporary file that atomically replaces it.
 *
 * Replay must be idempotent (records are upserts keyed by id): a record appended while a rewrite
 * runs can land both in the rewritten file and after it.
 */
export class Journal<R> {
  #fh: FileHandle | undefined;
  #buffer: string[] = [];
  #writing = false;
  #switching = false;
  /** `now`: a `commit()`, which starts the next group commit as soon as the one writing ends. */
  #waiters: Array<{ ok: () => void; ko: (error: unknown) => void; now: boolean }> = [];
  #rewriting: Promise<void> | undefined;
  #later: NodeJS.Timeout | undefined;
  /** When the `#later` timer fires (performance.now()). */
  #laterAt = Number.POSITIVE_INFINITY;
  /** When the last group commit began (performance.now()). */
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  /** Records appended since open or the last rewrite (callers compact when it grows). */
  appended = 0;

  private constructor(
    readonly file: string,
    private readonly options: JournalOptions<R>,
  ) {}

  /**
   * Opens (creating) the journal and returns every complete record in it, in order; with `each`,
   * hands each record to it instead and returns none (a large journal is never all in memory).
   */
  static async open<R>(
    file: string,
    options: JournalOptions<R> & { readonly each?: (record: R) => void } = {},
  ): Promise<{ journal: Journal<R>; records: R[] }> {
    mkdirSync(dirname(file), { recursive: true });
    const records: R[] = [];
    const each = options.each ?? ((record: R) => records.push(record));
    let count = 0;
    const { good, size } = readRecords<R>(file, (record) => {
      count++;
      each(record);
    });
    if (good < size) truncateSync(file, good);
    const journal = new Journal<R>(file, options);
    journal.#fh = await open(file, 'a');
    journal.appended = count;
    return { journal, records };
  }

  /** Buffers a record; it is durable once a later `commit()` resolves. */
  append(record: R): void {
    this.#buffer.push(`${this.#line(record)}\n`);
    this.appended++;
  }

  /** Resolves once every record appended so far is on disk. */
  commit(): Promise<void> {
    if (!this.#fh && !this.#switching)
      return Promise.reject(new Error(`${this.file}: the journal is closed`));
    if (this.#buffer.length === 0 && !this.#writing) return Promise.resolve();
    return new Promise<void>((ok, ko) => {
      this.#waiters.push({ ok, ko, now: true });
      this.#kick();
    });
  }

  /**
   * Resolves once every record appended so far is on disk, as `commit()` does, but lets the
   * records wait for the commits of others (adaptive group commit): when a group commit began less
   * than `ms` ago, this one begins `ms` after it, carrying whatever was appended meanwhile; when
   * the journal has been quiet for `ms`, it begins at once. So a quiet journal answers as fast as
   * `commit()`, and a busy one makes at most about one write + fdatasync per `ms` instead of one per
   * caller. For callers off a request's path (an asynchronous invocation being queued, decision 60).
   */
  commitWithin(ms: number): Promise<void> {
    const wait = this.#lastWriteAt + ms - performance.now();
    if (wait <= 0 || (this.#buffer.length === 0 && !this.#writing)) return this.commit();
    if (!this.#fh && !this.#switching)
      return Promise.reject(new Error(`${this.file}: the journal is closed`));
    return new Promise<void>((ok, ko) => {
      this.#waiters.push({ ok, ko, now: false });
      this.#commitIn(wait);
    });
  }

  /**
   * Commits what is appended within `ms`, unless a commit comes sooner (every commit writes all
   * that was appended before it). For records whose loss in a crash only repeats work that is
   * at-least-once anyway (a delivery's "done"): under load they ride along with the next commit
   * instead of costing a write and an fdatasync each.
   */
  commitLater(ms = COMMIT_LATER_MS): void {
    if (this.#buffer.length === 0) return;
    this.#commitIn(ms);
  }

  /** A commit in `ms` at the latest (one timer: the earliest asked for). */
  #commitIn(ms: number): void {
    const at = performance.now() + ms;
    if (this.#later) {
      if (this.#laterAt <= at) return;
      clearTimeout(this.#later);
    }
    this.#laterAt = at;
    this.#later = setTimeout(() => {
      this.#later = undefined;
      this.#laterAt = Number.POSITIVE_INFINITY;
      if (this.#fh || this.#switching) this.commit().catch(() => {});
    }, ms);
    this.#later.unref();
  }

  #line(record: R): string {
    return this.options.serialize ? this.options.serialize(record) : JSON.stringify(record);
  }

  /** append + commit */
  write(record: R): Promise<void> {
    this.append(record);
    return this.commit();
  }

  #kick(): void {
    if (this.#writing || this.#switching || !this.#fh) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    if (this.#buffer.length === 0) {
      for (const w of waiters) w.ok();
      return;
    }
    const data = this.#buffer.join('');
    this.#buffer = [];
    this.#writing = true;
    this.#lastWriteAt = performance.now();
    if (this.#later) {
      clearTimeout(this.#later);
      this.#later = undefined;
      this.#laterAt = Number.POSITIVE_INFINITY;
    }
    const fh = this.#fh;
    (async () => {
      await fh.writeFile(data); // loops until every byte is written
      if (this.options.fsync !== false) await fh.datasync();
    })().then(
      () => {
        this.#writing = false;
        for (const w of waiters) w.ok();
        this.#next();
      },
      (error) => {
        this.#writing = false;
        for (const w of waiters) w.ko(error);
        this.#next();
      },
    );
  }

  /**
   * After a group commit: the next one at once if a `commit()` waits; `commitWithin` callers wait
   * for the timer they set (a commit that began takes every waiter, so theirs is still set).
   */
  #next(): void {
    if (this.#waiters.some((w) => w.now) || (this.#waiters.length > 0 && !this.#later)) this.#kick();
  }

  /**
   * Replaces the file with `live` (the records that still matter), streamed line by line to a
   * temporary file, fsynced and renamed over the journal. Records appended meanwhile are kept.
   * One rewrite at a time: a call while one runs gets that one (two at once each reopened the
   * file and one handle was left to the garbage collector).
   */
  rewrite(live: Iterable<R>): Promise<void> {
    this.#rewriting ??= this.#rewrite(live).finally(() => {
      this.#rewriting = undefined;
    });
    return this.#rewriting;
  }

  async #rewrite(live: Iterable<R>): Promise<void> {
    // From here on nothing goes to the old file: appends, even those already buffered, wait for
    // the new one (after the live records; replay is idempotent, so a record in both is harmless).
    this.#switching = true;
    try {
      while (this.#writing) await new Promise<void>((r) => setImmediate(r));
      const tmp = `${this.file}.tmp`;
      const fd = openSync(tmp, 'w');
      try {
        let chunk: string[] = [];
        let size = 0;
        for (const record of live) {
          const line = `${this.#line(record)}\n`;
          chunk.push(line);
          size += line.length;
          if (size > 1 << 20) {
            writeAll(fd, chunk.join(''));
            chunk = [];
            size = 0;
          }
        }
        if (chunk.length) writeAll(fd, chunk.join(''));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      await this.#fh?.close();
      this.#fh = undefined;
      renameSync(tmp, this.file);
      const dfd = openSync(dirname(this.file), 'r');
      fsyncSync(dfd);
      closeSync(dfd);
    } finally {
      // Whatever happened, keep appending (to the new file, or the old one if the swap failed).
      this.#fh ??= await open(this.file, 'a');
      this.appended = this.#buffer.length;
      this.#switching = false;
      if (this.#buffer.length || this.#waiters.length) this.#kick();
    }
  }

  async close(): Promise<void> {
    if (this.#later) {
      clearTimeout(this.#later);
      this.#later = undefined;
      this.#laterAt = Number.POSITIVE_INFINITY;
    }
    if (!this.#fh) return;
    await this.commit();
    await this.#fh?.close();
    this.#fh = undefined;
  }
}

/** How long `commitLater` lets records wait for a commit that would write them anyway. */
export const COMMIT_LATER_MS = 50;

const CHUNK = 1 << 20;

/**
 * The complete lines of a file (newline-terminated; a last line without one is left out), read in
 * 1 MiB chunks, each with its length in bytes including the newline. Nothing if the file is missing.
 * `stat.size` is set to the file's size when it is opened.
 */
function* fileLines(file: string, stat = { size: 0 }): Generator<{ text: string; bytes: number }> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    stat.size = size;
    const chunk = Buffer.allocUnsafe(CHUNK);
    let carry = Buffer.alloc(0);
    let position = 0;
    while (position < size) {
      const n = readSync(fd, chunk, 0, Math.min(CHUNK, size - position), position);
      if (n <= 0) break;
      position += n;
      const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      const lines: Array<{ text: string; bytes: number }> = [];
      for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
        lines.push({ text: data.toString('utf8', start, nl), bytes: nl + 1 - start });
        start = nl + 1;
      }
      // Copied before yielding: the next read reuses `chunk`.
      carry = Buffer.from(data.subarray(start));
      yield* lines;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a JSON-lines journal in 1 MiB chunks, handing each complete record to `each`; returns the
 * byte length of the complete records (`good`) and the file's size. A torn last line (no newline,
 * or not JSON and last) ends the records; a bad line followed by more is corruption.
 */
function readRecords<R>(file: string, each: (record: R) => void): { good: number; size: number } {
  const stat = { size: 0 };
  let good = 0;
  let line = 0;
  let torn = false;
  for (const { text, bytes } of fileLines(file, stat)) {
    line++;
    if (torn) {
      throw new Error(
        `${file}: line ${line - 1} is not a JSON record and is followed by more; the journal is corrupt`,
      );
    }
    let record: R;
    try {
      record = JSON.parse(text) as R;
    } catch {
      // Only the last line can be torn by a crash; a bad line before others is corruption.
      torn = true;
      continue;
    }
    each(record);
    good += bytes;
  }
  return { good, size: stat.size };
}

/**
 * The complete records of a journal file, read from disk in 1 MiB chunks as they are iterated
 * (for compaction and scans of journals too large to keep in memory). Appends not yet committed
 * are not on disk: commit first.
 */
export function* scanRecords<R>(file: string): Generator<R> {
  for (const { text } of fileLines(file)) {
    let record: R;
    try {
      record = JSON.parse(text) as R;
    } catch {
      return; // a torn last line
    }
    yield record;
  }
}

/** writeSync may write fewer bytes than asked: loop until all are on the file. */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}
