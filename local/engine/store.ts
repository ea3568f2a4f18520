import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { JournalRecord, Snapshot, Store } from './model.ts';

const withGen = (gen: number, body: string): string => `{"gen":${gen},${body.trim().slice(1)}`;

/**
 * In-memory store. By default it keeps nothing (the engine's memory is the only copy: fastest).
 * With `retain: true` it keeps the serialized journal so a second engine can "recover" from it,
 * which lets tests exercise recovery without a disk.
 */
export class MemoryStore implements Store {
  readonly durable = false;
  readonly lines: string[] = [];
  private snapshot?: string;
  sinceCompact = 0;
  constructor(private readonly opts: { retain?: boolean } = {}) {}
  get recording(): boolean {
    return this.opts.retain === true;
  }
  async open() {
    return {
      snapshot: this.snapshot ? (JSON.parse(this.snapshot) as Snapshot) : undefined,
      records: this.lines.map((l) => JSON.parse(l) as JournalRecord),
    };
  }
  append(rec: JournalRecord): void {
    if (this.opts.retain) {
      this.lines.push(JSON.stringify(rec));
      this.sinceCompact++;
    }
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  async compact(capture: () => string): Promise<void> {
    if (!this.opts.retain) return;
    this.snapshot = withGen(0, capture());
    this.lines.length = 0;
    this.sinceCompact = 0;
  }
  async close(): Promise<void> {}
}

export interface FileStoreOptions {
  /** fdatasync each group commit (default true). false = survives a process kill, not a power cut. */
  fsync?: boolean;
}

/**
 * Append-only JSON-lines journal with group commit, plus snapshot compaction.
 * Layout: `<dir>/snapshot.json` ({gen,...}) and `<dir>/journal-<gen>.log` (records after the snapshot).
 */
export class FileStore implements Store {
  readonly durable = true;
  private gen = 0;
  private fh?: FileHandle;
  private buf: string[] = [];
  private writing = false;
  private switching = false;
  private nextWaiters: { ok: () => void; ko: (e: unknown) => void }[] = [];
  sinceCompact = 0;
  /** stats for benchmarks */
  commits = 0;
  bytes = 0;

  constructor(
    readonly dir: string,
    private readonly opts: FileStoreOptions = {},
  ) {}

  private journalPath(gen: number) {
    return join(this.dir, `journal-${gen}.log`);
  }

  async open(): Promise<{ snapshot?: Snapshot; records: JournalRecord[] }> {
    mkdirSync(this.dir, { recursive: true });
    let snapshot: Snapshot | undefined;
    const snapPath = join(this.dir, 'snapshot.json');
    if (existsSync(snapPath)) {
      snapshot = JSON.parse(readFileSync(snapPath, 'utf8')) as Snapshot;
      this.gen = snapshot.gen;
    }
    const gens = readdirSync(this.dir)
      .map((f) => /^journal-(\d+)\.log$/.exec(f))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const records: JournalRecord[] = [];
    for (const g of gens) {
      if (g < this.gen) {
        rmSync(this.journalPath(g), { force: true });
        continue;
      }
      const text = readFileSync(this.journalPath(g), 'utf8');
      let good = 0;
      let pos = 0;
      while (pos < text.length) {
        const nl = text.indexOf('\n', pos);
        if (nl < 0) break; // torn final write: no newline
        const line = text.slice(pos, nl);
        try {
          records.push(JSON.parse(line) as JournalRecord);
        } catch {
          break;
        }
        pos = nl + 1;
        good = Buffer.byteLength(text.slice(0, pos));
      }
      if (good < Buffer.byteLength(text)) truncateSync(this.journalPath(g), good);
      this.gen = Math.max(this.gen, g);
    }
    this.sinceCompact = records.length;
    this.fh = await open(this.journalPath(this.gen), 'a');
    return { snapshot, records };
  }

  append(rec: JournalRecord): void {
    this.buf.push(`${JSON.stringify(rec)}\n`);
    this.sinceCompact++;
  }

  flush(): Promise<void> {
    if (this.buf.length === 0 && !this.writing) return Promise.resolve();
    return new Promise<void>((ok, ko) => {
      this.nextWaiters.push({ ok, ko });
      this.kick();
    });
  }

  private kick(): void {
    if (this.writing || this.switching || !this.fh) return;
    if (this.buf.length === 0) {
      // everything asked for is already durable
      const ws = this.nextWaiters;
      this.nextWaiters = [];
      for (const w of ws) w.ok();
      return;
    }
    const data = this.buf.join('');
    this.buf = [];
    const ws = this.nextWaiters;
    this.nextWaiters = [];
    this.writing = true;
    const fh = this.fh;
    (async () => {
      await fh.write(data);
      if (this.opts.fsync !== false) await fh.datasync();
    })().then(
      () => {
        this.commits++;
        this.bytes += data.length;
        this.writing = false;
        for (const w of ws) w.ok();
        if (this.nextWaiters.length) this.kick();
      },
      (e) => {
        this.writing = false;
        for (const w of ws) w.ko(e);
      },
    );
  }

  async compact(capture: () => string): Promise<void> {
    await this.flush();
    const snap = capture();
    const oldGen = this.gen;
    const newGen = oldGen + 1;
    // From the capture on, nothing more is written to the old journal: records still buffered go to
    // the new one (some are also in the snapshot; replay is idempotent).
    this.switching = true;
    while (this.writing) await new Promise<void>((r) => setImmediate(r));
    const old = this.fh;
    this.gen = newGen;
    this.fh = await open(this.journalPath(newGen), 'a');
    this.switching = false;
    await old?.close();
    if (this.nextWaiters.length) this.kick();
    const tmp = join(this.dir, 'snapshot.json.tmp');
    const fd = openSync(tmp, 'w');
    writeSync(fd, withGen(newGen, snap));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(this.dir, 'snapshot.json'));
    const dfd = openSync(this.dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
    rmSync(this.journalPath(oldGen), { force: true });
    this.sinceCompact = this.buf.length;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.fh?.close();
    this.fh = undefined;
  }
}
