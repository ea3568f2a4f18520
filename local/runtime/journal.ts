import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface JournalOptions {
  /** fdatasync each group commit (default true). false survives a process kill, not a power cut. */
  readonly fsync?: boolean;
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
  #waiters: Array<{ ok: () => void; ko: (error: unknown) => void }> = [];
  /** Records appended since open or the last rewrite (callers compact when it grows). */
  appended = 0;

  private constructor(
    readonly file: string,
    private readonly options: JournalOptions,
  ) {}

  /** Opens (creating) the journal and returns every complete record in it, in order. */
  static async open<R>(
    file: string,
    options: JournalOptions = {},
  ): Promise<{ journal: Journal<R>; records: R[] }> {
    mkdirSync(dirname(file), { recursive: true });
    const records: R[] = [];
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    let pos = 0;
    let good = 0;
    let line = 0;
    while (pos < text.length) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break; // a torn last write (no newline yet): dropped below
      line++;
      try {
        records.push(JSON.parse(text.slice(pos, nl)) as R);
      } catch {
        // Only the last line can be torn by a crash; a bad line before others is corruption.
        if (text.indexOf('\n', nl + 1) >= 0) {
          throw new Error(
            `${file}: line ${line} is not a JSON record and is followed by more; the journal is corrupt`,
          );
        }
        break;
      }
      pos = nl + 1;
      good = pos;
    }
    if (good < text.length) truncateSync(file, Buffer.byteLength(text.slice(0, good)));
    const journal = new Journal<R>(file, options);
    journal.#fh = await open(file, 'a');
    journal.appended = records.length;
    return { journal, records };
  }

  /** Buffers a record; it is durable once a later `commit()` resolves. */
  append(record: R): void {
    this.#buffer.push(`${JSON.stringify(record)}\n`);
    this.appended++;
  }

  /** Resolves once every record appended so far is on disk. */
  commit(): Promise<void> {
    if (!this.#fh && !this.#switching)
      return Promise.reject(new Error(`${this.file}: the journal is closed`));
    if (this.#buffer.length === 0 && !this.#writing) return Promise.resolve();
    return new Promise<void>((ok, ko) => {
      this.#waiters.push({ ok, ko });
      this.#kick();
    });
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
    const fh = this.#fh;
    (async () => {
      await fh.writeFile(data); // loops until every byte is written
      if (this.options.fsync !== false) await fh.datasync();
    })().then(
      () => {
        this.#writing = false;
        for (const w of waiters) w.ok();
        if (this.#waiters.length) this.#kick();
      },
      (error) => {
        this.#writing = false;
        for (const w of waiters) w.ko(error);
        if (this.#waiters.length) this.#kick();
      },
    );
  }

  /**
   * Replaces the file with `live` (the records that still matter), streamed line by line to a
   * temporary file, fsynced and renamed over the journal. Records appended meanwhile are kept.
   */
  async rewrite(live: Iterable<R>): Promise<void> {
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
          const line = `${JSON.stringify(record)}\n`;
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
    if (!this.#fh) return;
    await this.commit();
    await this.#fh?.close();
    this.#fh = undefined;
  }
}

/** writeSync may write fewer bytes than asked: loop until all are on the file. */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}
