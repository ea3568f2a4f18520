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
  statSync,
  truncateSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecMeta, Frame, JournalRecord, Snapshot, StateMachineRecord, Store } from './model.ts';
import type { HistoryEvent } from './types.ts';

/** Snapshot file: JSON lines (header, one line per record, trailer). */
const SNAPSHOT_FILE = 'snapshot.jsonl';
const SNAPSHOT_VERSION = 2;
/** The snapshot writer hands the file chunks of about this many characters (whole lines). */
const SNAPSHOT_CHUNK = 1 << 20;
/** The single-JSON-document snapshot of earlier versions: still read, never written. */
const LEGACY_SNAPSHOT_FILE = 'snapshot.json';
/** Files are read in blocks of this many bytes, never as one string. */
const READ_BLOCK = 1 << 20;

/**
 * Serialize a snapshot lazily: a header line, one line per record (each `JSON.stringify`ed on its
 * own, when the consumer asks for more), and a trailer line with the record count. Yields chunks of
 * about `chunkChars` characters made of whole lines.
 */
export function* snapshotChunks(
  gen: number,
  records: Iterable<JournalRecord>,
  chunkChars = SNAPSHOT_CHUNK,
): Generator<string> {
  let parts: string[] = [`${JSON.stringify({ t: 'snapshot', v: SNAPSHOT_VERSION, gen })}\n`];
  let size = 0;
  let n = 0;
  for (const rec of records) {
    const line = JSON.stringify(rec);
    parts.push(line, '\n');
    size += line.length + 1;
    n++;
    if (size >= chunkChars) {
      yield parts.join('');
      parts = [];
      size = 0;
    }
  }
  parts.push(`${JSON.stringify({ t: 'end', records: n })}\n`);
  yield parts.join('');
}

/** Parse snapshot lines (as written by `snapshotChunks`); throws unless header and trailer agree. */
export const parseSnapshot = async (
  lines: Iterable<string> | AsyncIterable<string>,
  where: string,
): Promise<Snapshot> => {
  let gen: number | undefined;
  const records: JournalRecord[] = [];
  let complete = false;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    let o: { t?: string; v?: number; gen?: number; records?: number };
    try {
      o = JSON.parse(line) as typeof o;
    } catch {
      throw new Error(`corrupt snapshot ${where}: line ${lineNo} is not JSON`);
    }
    if (gen === undefined) {
      if (o.t !== 'snapshot' || o.v !== SNAPSHOT_VERSION || typeof o.gen !== 'number') {
        throw new Error(`corrupt snapshot ${where}: bad header`);
      }
      gen = o.gen;
    } else if (o.t === 'end') {
      if (o.records !== records.length) {
        throw new Error(`corrupt snapshot ${where}: ${records.length} records, trailer says ${o.records}`);
      }
      complete = true;
      break;
    } else records.push(o as JournalRecord);
  }
  if (gen === undefined || !complete) throw new Error(`corrupt snapshot ${where}: truncated`);
  return { gen, records };
};

/**
 * The complete lines of a file with the byte offset just after each one, read block by block (a
 * final line without its newline is not returned).
 */
async function* fileLines(path: string): AsyncGenerator<{ text: string; end: number }> {
  const fh = await open(path, 'r');
  try {
    const block = Buffer.allocUnsafe(READ_BLOCK);
    let pending: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const { bytesRead } = await fh.read(block, 0, block.length, null);
      if (bytesRead === 0) break;
      const data = block.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(0x0a, start); nl >= 0; nl = data.indexOf(0x0a, start)) {
        const piece = data.subarray(start, nl);
        const text = pending.length
          ? Buffer.concat([...pending, piece]).toString('utf8')
          : piece.toString('utf8');
        pending = [];
        start = nl + 1;
        yield { text, end: offset + start };
      }
      if (start < bytesRead) pending.push(Buffer.from(data.subarray(start))); // copy: the block is reused
      offset += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** A `snapshot.json` of the earlier format (one JSON document), as snapshot records. */
const readLegacySnapshot = (path: string): Snapshot => {
  const old = JSON.parse(readFileSync(path, 'utf8')) as {
    gen: number;
    stateMachines: StateMachineRecord[];
    executions: { meta: ExecMeta; frames: Frame[]; events: HistoryEvent[] }[];
  };
  const records: JournalRecord[] = old.stateMachines.map((sm) => ({ t: 'sm', sm }));
  for (const x of old.executions)
    records.push({ t: 'x', e: x.meta.arn, m: x.meta, f: x.frames, h: x.events });
  return { gen: old.gen, records };
};

async function* textLines(path: string): AsyncGenerator<string> {
  for await (const l of fileLines(path)) yield l.text;
}

/**
 * In-memory store. By default it keeps nothing (the engine's memory is the only copy: fastest).
 * With `retain: true` it keeps the serialized journal (and snapshot, as its lines) so a second engine
 * can "recover" from it, which lets tests exercise recovery without a disk.
 */
export class MemoryStore implements Store {
  readonly durable = false;
  readonly lines: string[] = [];
  /** the last snapshot, as the chunks `snapshotChunks` produced */
  snapshotChunks?: string[];
  sinceCompact = 0;
  constructor(private readonly opts: { retain?: boolean } = {}) {}
  get recording(): boolean {
    return this.opts.retain === true;
  }
  async open() {
    const chunks = this.snapshotChunks;
    return {
      snapshot: chunks
        ? await parseSnapshot(
            (function* () {
              for (const c of chunks) yield* c.split('\n').slice(0, -1);
            })(),
            'in memory',
          )
        : undefined,
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
  async compact(capture: () => Iterable<JournalRecord>): Promise<void> {
    if (!this.opts.retain) return;
    this.snapshotChunks = [...snapshotChunks(0, capture())];
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
 * Layout: `<dir>/snapshot.jsonl` (JSON lines: `{"t":"snapshot","v":2,"gen":N}`, one record per line,
 * `{"t":"end","records":n}`) and `<dir>/journal-<gen>.log` (records after the snapshot).
 */
export class FileStore implements Store {
  readonly durable = true;
  private gen = 0;
  private fh?: FileHandle;
  private buf: string[] = [];
  private writing = false;
  private switching = false;
  private nextWaiters: { ok: () => void; ko: (e: unknown) => void }[] = [];
  /** the compaction in progress (close() waits for it) */
  private compaction?: Promise<void>;
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

  private journalGens(): number[] {
    return readdirSync(this.dir)
      .map((f) => /^journal-(\d+)\.log$/.exec(f))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  async open(): Promise<{ snapshot?: Snapshot; records: JournalRecord[] }> {
    mkdirSync(this.dir, { recursive: true });
    let snapshot: Snapshot | undefined;
    const snapPath = join(this.dir, SNAPSHOT_FILE);
    const legacyPath = join(this.dir, LEGACY_SNAPSHOT_FILE);
    rmSync(`${snapPath}.tmp`, { force: true }); // an interrupted compaction
    if (existsSync(snapPath)) {
      snapshot = await parseSnapshot(textLines(snapPath), snapPath);
      rmSync(legacyPath, { force: true });
    } else if (existsSync(legacyPath)) {
      snapshot = readLegacySnapshot(legacyPath); // replaced by snapshot.jsonl at the next compaction
    }
    if (snapshot) this.gen = snapshot.gen;
    const records: JournalRecord[] = [];
    for (const g of this.journalGens()) {
      const path = this.journalPath(g);
      if (g < this.gen) {
        rmSync(path, { force: true });
        continue;
      }
      let good = 0;
      for await (const { text, end } of fileLines(path)) {
        try {
          records.push(JSON.parse(text) as JournalRecord);
        } catch {
          break;
        }
        good = end;
      }
      // a torn final write (no newline, or half a line): drop it
      if (good < statSync(path).size) truncateSync(path, good);
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

  async compact(capture: () => Iterable<JournalRecord>): Promise<void> {
    if (this.compaction) throw new Error('a compaction is already running');
    const run = this.runCompaction(capture);
    this.compaction = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      await run;
    } finally {
      this.compaction = undefined;
    }
  }

  private async runCompaction(capture: () => Iterable<JournalRecord>): Promise<void> {
    await this.flush();
    const records = capture();
    const newGen = this.gen + 1;
    // From the capture on, nothing more is written to the old journal: records still buffered go to
    // the new one (some are also in the snapshot; replay is idempotent).
    this.switching = true;
    try {
      while (this.writing) await new Promise<void>((r) => setImmediate(r));
      const fresh = await open(this.journalPath(newGen), 'a');
      const old = this.fh;
      this.fh = fresh;
      this.gen = newGen;
      this.sinceCompact = this.buf.length;
      await old?.close();
    } finally {
      this.switching = false;
      if (this.nextWaiters.length) this.kick();
    }
    // The engine keeps running while the snapshot is written chunk by chunk: `records` reads only
    // what capture() copied. Until the rename, the old snapshot + journals stay the valid state.
    const path = join(this.dir, SNAPSHOT_FILE);
    const tmp = `${path}.tmp`;
    try {
      const out = await open(tmp, 'w');
      try {
        for (const chunk of snapshotChunks(newGen, records)) await out.write(chunk);
        await out.sync();
      } finally {
        await out.close();
      }
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    renameSync(tmp, path);
    rmSync(join(this.dir, LEGACY_SNAPSHOT_FILE), { force: true });
    const dfd = openSync(this.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
    // journals before the new generation are all in the snapshot (also those of failed attempts)
    for (const g of this.journalGens()) if (g < newGen) rmSync(this.journalPath(g), { force: true });
  }

  async close(): Promise<void> {
    await this.compaction;
    await this.flush();
    await this.fh?.close();
    this.fh = undefined;
  }
}
