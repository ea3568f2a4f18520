/**
 * Scheduler API schedules with their definitions on disk. A store's timers (the SLA's two promise deadlines an
 * order, hours away) are tens of thousands of one-time schedules that wait without being looked at: memory keeps
 * what waiting and firing need (the key, the state, the next occurrence, where the definition is), and the
 * definition, its target input and the ClientToken that created it are read back from a file when the schedule
 * is delivered, shown, retried with its ClientToken or compacted into the journal (an at() schedule fires
 * without a read: it has no next occurrence, and what to do after it is a flag in memory).
 *
 * The file is a cache, not a record: the journal holds every definition durably (see bus.ts), and the file is
 * rewritten from it at every start. So it is written without fsync, and a crash loses nothing.
 */
import { closeSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { schedulerRt, schedulerTiming, specOf } from './config.ts';
import type { ScheduleTiming } from './schedule.ts';
import type { ScheduleDefinition } from './scheduler.ts';
import type { DueEntry, ScheduleRt } from './state.ts';

/** What the file keeps of a schedule: its definition, and the ClientToken of the CreateSchedule that made it. */
export interface StoredDefinition {
  readonly def: ScheduleDefinition;
  readonly tok?: string;
}

/** Writes are gathered up to this many bytes before they go to the file (a read of them writes them first). */
const FLUSH_BYTES = 256 * 1024;
/** The file is rewritten when its dead bytes pass both this and its live bytes. */
const MIN_WASTE_BYTES = 1 << 20;

/** The file of the definitions: appended lines, each read back by its offset and length. */
export class DefinitionFile {
  #fd: number;
  /** bytes on the file, then bytes gathered and not yet written */
  #written = 0;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** bytes of the lines some schedule still refers to */
  #live = 0;
  #lines = 0;

  /** Creates the file afresh (truncating what a previous run left). */
  constructor(readonly file: string) {
    this.#fd = openSync(file, 'w+', 0o600);
  }

  /** Lines some schedule refers to. */
  get lines(): number {
    return this.#lines;
  }

  /** Appends a definition; returns where it is (`at`, `len`: its offset and length in bytes). */
  write(stored: StoredDefinition): { at: number; len: number } {
    const bytes = Buffer.from(`${JSON.stringify(stored)}\n`);
    const at = this.#written + this.#pendingBytes;
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    this.#live += bytes.length;
    this.#lines++;
    if (this.#pendingBytes >= FLUSH_BYTES) this.#flush();
    return { at, len: bytes.length };
  }

  /** The definition at `at` (as `write` returned it). */
  read(at: number, len: number): StoredDefinition {
    return JSON.parse(this.readText(at, len)) as StoredDefinition;
  }

  /** The definition at `at` as its JSON text, `{"def":…,"tok":…}` (for the journal's compaction). */
  readText(at: number, len: number): string {
    if (this.#fd < 0) throw new Error('the local EventBridge is closed');
    if (at + len > this.#written) this.#flush();
    const bytes = Buffer.allocUnsafe(len);
    readAll(this.#fd, bytes, at);
    return bytes.toString('utf8', 0, len - 1);
  }

  /** A line no schedule refers to any more (its schedule was replaced or deleted). */
  release(len: number): void {
    this.#live -= len;
    this.#lines--;
  }

  /** Whether a rewrite would pay: dead lines take more than the live ones, and more than 1 MiB. */
  get wasteful(): boolean {
    const dead = this.#written + this.#pendingBytes - this.#live;
    return dead > MIN_WASTE_BYTES && dead > this.#live;
  }

  /**
   * Rewrites the file with the lines of `schedules` alone (every schedule that still refers to a line), moving each
   * schedule to its line's new place. Synchronous: the bus does nothing in between.
   */
  compact(schedules: Iterable<{ at: number; readonly len: number }>): void {
    this.#flush();
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w+', 0o600);
    let position = 0;
    let lines = 0;
    try {
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      const moves: Array<{ s: { at: number }; at: number }> = [];
      for (const s of schedules) {
        const bytes = Buffer.allocUnsafe(s.len);
        readAll(this.#fd, bytes, s.at);
        moves.push({ s, at: position + chunkBytes });
        chunk.push(bytes);
        chunkBytes += bytes.length;
        lines++;
        if (chunkBytes >= FLUSH_BYTES) {
          position += writeAt(fd, Buffer.concat(chunk), position);
          chunk = [];
          chunkBytes = 0;
        }
      }
      if (chunk.length) position += writeAt(fd, Buffer.concat(chunk), position);
      renameSync(tmp, this.file);
      for (const { s, at } of moves) s.at = at;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    closeSync(this.#fd);
    this.#fd = fd;
    this.#written = position;
    this.#live = position;
    this.#lines = lines;
  }

  close(): void {
    if (this.#fd < 0) return;
    this.#pending = [];
    this.#pendingBytes = 0;
    closeSync(this.#fd);
    this.#fd = -1;
  }

  #flush(): void {
    if (this.#pendingBytes === 0) return;
    const bytes = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    this.#written += writeAt(this.#fd, bytes, this.#written);
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}

/** The timing of a Scheduler schedule from its definition (checked when the schedule was made). */
export function timingOf(def: ScheduleDefinition): ScheduleTiming {
  return schedulerTiming(specOf(def), `schedule ${def.GroupName}/${def.Name}`);
}

/** A Scheduler API schedule from its definition, written to `file`; throws on what cannot run. */
export function apiSchedule(
  file: DefinitionFile,
  def: ScheduleDefinition,
  token: string | undefined,
  where = `schedule ${def.GroupName}/${def.Name}`,
): ApiSchedule {
  return ApiSchedule.create(file, schedulerRt(specOf(def), where, 'api'), def, token);
}

const KEY_PREFIX = 'schedule:'.length;
const ONE_TIME = 1;
const DELETE_AFTER = 2;
const TEXT_PREFIX = '{"def":{"Arn":"';

/**
 * The key of the schedule whose stored text (`{"def":…,"tok":…}`) is `text`: `schedule:` and its ARN, which a
 * definition holds first (scheduler.ts builds it so, and JSON keeps that order); parsed when it is not there.
 */
export function keyOfText(text: string): string {
  if (text.startsWith(TEXT_PREFIX)) {
    const end = text.indexOf('"', TEXT_PREFIX.length);
    const arn = text.slice(TEXT_PREFIX.length, end);
    if (end > 0 && !arn.includes('\\')) return `schedule:${arn}`;
  }
  return `schedule:${(JSON.parse(text) as StoredDefinition).def.Arn}`;
}

/** The group and name an API schedule's key names (`schedule:arn:…:schedule/<group>/<name>`). */
export function groupAndNameOf(key: string): { group: string; name: string } {
  const end = key.lastIndexOf('/');
  return { group: key.slice(key.lastIndexOf('/', end - 1) + 1, end), name: key.slice(end + 1) };
}

/** What an API schedule holds in memory besides its timing state (a parked one is these numbers: parked.ts). */
export interface ApiScheduleFields {
  readonly key: string;
  readonly enabled: boolean;
  readonly maxRetries: number;
  readonly maxAgeMs: number;
  readonly oneTime: boolean;
  readonly deleteAfter: boolean;
  readonly at: number;
  readonly len: number;
}

/**
 * A schedule made through the Scheduler API, its definition in a {@link DefinitionFile}. It holds its key (the ARN
 * and name are cut from it when asked for), its state, and where its definition is; `def`, `stored()` and `timing`
 * read the file each time they are asked for (the bus asks when the schedule is delivered or shown, and when a
 * recurring one fires).
 */
export class ApiSchedule implements ScheduleRt {
  anchor = 0;
  next: number | undefined = undefined;
  last: number | undefined = undefined;
  entry: DueEntry | undefined = undefined;
  inflight = 0;
  gone: boolean | undefined = undefined;
  /** where its definition is in the file (moved by compaction; `len` 0 once released) */
  at: number;
  len: number;
  /** what firing asks of every schedule, kept here so that it reads nothing: ONE_TIME, DELETE_AFTER */
  readonly #flags: number;

  /**
   * A new schedule, its definition written to `file`. `checked`: the schedule made from `def` by `schedulerRt`,
   * which throws on what cannot run.
   */
  static create(
    file: DefinitionFile,
    checked: ScheduleRt,
    def: ScheduleDefinition,
    token: string | undefined,
  ): ApiSchedule {
    const { at, len } = file.write(token ? { def, tok: token } : { def });
    return new ApiSchedule(file, {
      key: checked.key,
      enabled: checked.enabled,
      maxRetries: checked.maxRetries,
      maxAgeMs: checked.maxAgeMs,
      oneTime: checked.timing.expression.kind === 'at',
      deleteAfter: def.ActionAfterCompletion === 'DELETE',
      at,
      len,
    });
  }

  /** A schedule whose definition is already in `file` (a parked one taken back: parked.ts). */
  constructor(
    readonly file: DefinitionFile,
    fields: ApiScheduleFields,
  ) {
    this.key = fields.key;
    this.enabled = fields.enabled;
    this.maxRetries = fields.maxRetries;
    this.maxAgeMs = fields.maxAgeMs;
    this.#flags = (fields.oneTime ? ONE_TIME : 0) | (fields.deleteAfter ? DELETE_AFTER : 0);
    this.at = fields.at;
    this.len = fields.len;
  }

  readonly key: string;
  readonly enabled: boolean;
  readonly maxRetries: number;
  readonly maxAgeMs: number;

  get kind(): 'scheduler' {
    return 'scheduler';
  }
  get source(): 'api' {
    return 'api';
  }
  /** replaced whole by UpdateSchedule: no fingerprint to compare */
  get fp(): string {
    return '';
  }
  get rule(): undefined {
    return undefined;
  }
  get spec(): undefined {
    return undefined;
  }
  get arn(): string {
    return this.key.slice(KEY_PREFIX);
  }
  get name(): string {
    return groupAndNameOf(this.key).name;
  }
  /** its schedule group (from its ARN: `...:schedule/<group>/<name>`) */
  get group(): string {
    return groupAndNameOf(this.key).group;
  }
  /** its definition and ClientToken, read from the file */
  stored(): StoredDefinition {
    if (this.len === 0) throw new Error(`schedule ${this.group}/${this.name}: its definition was released`);
    return this.file.read(this.at, this.len);
  }
  /** the same as JSON text, `{"def":…,"tok":…}` */
  storedText(): string {
    if (this.len === 0) throw new Error(`schedule ${this.group}/${this.name}: its definition was released`);
    return this.file.readText(this.at, this.len);
  }
  get def(): ScheduleDefinition {
    return this.stored().def;
  }
  get timing(): ScheduleTiming {
    return timingOf(this.def);
  }
  /** an at() schedule: it has no occurrence after its one */
  get oneTime(): boolean {
    return (this.#flags & ONE_TIME) !== 0;
  }
  get actionAfterCompletion(): 'NONE' | 'DELETE' {
    return this.#flags & DELETE_AFTER ? 'DELETE' : 'NONE';
  }
  /** Its line is no longer needed (the schedule was replaced or deleted). */
  release(): void {
    if (this.len === 0) return;
    this.file.release(this.len);
    this.len = 0;
  }
}

function readAll(fd: number, bytes: Buffer, position: number): void {
  let offset = 0;
  while (offset < bytes.length) {
    const n = readSync(fd, bytes, offset, bytes.length - offset, position + offset);
    if (n <= 0) throw new Error(`schedule definitions: unexpected end of file at ${position + offset}`);
    offset += n;
  }
}

/** Writes all of `bytes` at `position`; returns their length. */
function writeAt(fd: number, bytes: Buffer, position: number): number {
  let offset = 0;
  while (offset < bytes.length)
    offset += writeSync(fd, bytes, offset, bytes.length - offset, position + offset);
  return bytes.length;
}
