import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * The data directory holds the webhook signing secrets and the admin token, the table and every
 * queued event, so it is private to its user (0700), and one runtime at a time uses it (a lock
 * file): two runtimes on the same LevelDB, journals and clock would corrupt each other.
 */

const POSIX = process.platform !== 'win32';

/**
 * Creates the data directory with mode 0700, or tightens an existing one of this user that others
 * can read (a data directory made by an earlier version). Returns what the operator should know:
 * a line when it tightened the mode, or a warning when it could not.
 */
export function prepareDataDir(dir: string): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!POSIX) return [];
  const stat = statSync(dir);
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) === 0) return [];
  const octal = (m: number) => `0${m.toString(8)}`;
  if (typeof process.getuid === 'function' && stat.uid === process.getuid()) {
    try {
      chmodSync(dir, mode & 0o700);
      return [`data directory ${dir}: permissions tightened from ${octal(mode)} to ${octal(mode & 0o700)}`];
    } catch (error) {
      return [
        `warning: data directory ${dir} is readable by other users (mode ${octal(mode)}) and could not ` +
          `be tightened (${(error as Error).message}); it holds the webhook secrets: chmod 700 it`,
      ];
    }
  }
  return [
    `warning: data directory ${dir} belongs to another user and is accessible to others (mode ` +
      `${octal(mode)}); it holds the webhook secrets: use a private directory for --data`,
  ];
}

export interface LockInfo {
  readonly pid: number;
  /** the process's start time (Linux: clock ticks after boot), so a reused pid is not mistaken for it */
  readonly processStart?: string;
  readonly startedAt: string;
  readonly port?: number;
  readonly url?: string;
}

export interface DataDirLock {
  readonly file: string;
  /** Records the port and URL once they are known (the lock is taken before the port is bound). */
  update(info: { port: number; url: string }): void;
  /** Removes the lock file if it is still this lock's; idempotent. */
  release(): void;
}

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly file: string,
    readonly holder: LockInfo,
  ) {
    const where = holder.url ? `serving ${holder.url}` : 'starting';
    super(
      `the data directory ${dataDir} is in use by another storeflow runtime (pid ${holder.pid}, ` +
        `${where}, since ${holder.startedAt}): stop it first, or give this one another --data. ` +
        `If no runtime is running there, delete ${file}`,
    );
  }
}

export const LOCK_FILE = 'runtime.lock';

/** Linux: field 22 of /proc/<pid>/stat; elsewhere unknown. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces and parentheses: count from the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return 'exited';
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote a lock still runs (a reused pid with another start time does not count). */
function holderAlive(info: LockInfo): boolean {
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const started = processStart(info.pid);
  if (started === 'exited') return false;
  return !(started !== undefined && info.processStart !== undefined && started !== info.processStart);
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const info = JSON.parse(text) as Partial<LockInfo>;
    return Number.isInteger(info.pid) && (info.pid as number) > 0 ? (info as LockInfo) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `text` to `file` only if it does not exist: complete content, atomically. */
function createExclusive(file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    // no hard links on this file system: O_EXCL
    try {
      writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw fallback;
    }
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Moves a dead runtime's lock out of the way. Renaming is atomic, so of two runtimes taking over
 * the same stale lock only one moves it; the other finds the first one's fresh lock moved instead,
 * puts it back and reports it.
 */
function removeStale(file: string, staleText: string): void {
  const aside = `${file}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (readFileSync(aside, 'utf8') !== staleText) {
    try {
      linkSync(aside, file);
    } catch {
      // a third runtime locked meanwhile: its lock stands
    }
  }
  unlinkSync(aside);
}

/**
 * The runtime using a data directory (pid, port, URL, start), or undefined when none is: no lock
 * file, or one left by a process that is gone. For `storeflow status`, `trigger` and `reset`.
 */
export function runtimeHolding(dataDir: string): LockInfo | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, LOCK_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const holder = parseLock(text);
  return holder && holderAlive(holder) ? holder : undefined;
}

/**
 * Takes `<dataDir>/runtime.lock` for this process, or throws {@link DataDirLockedError} naming the
 * runtime that holds it. A lock left by a runtime that died (kill -9, a crash) is taken over.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const file = join(dataDir, LOCK_FILE);
  const started = processStart(process.pid);
  let info: LockInfo = {
    pid: process.pid,
    ...(started ? { processStart: started } : {}),
    startedAt: new Date().toISOString(),
  };
  let text = `${JSON.stringify(info)}\n`;
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(file, text)) break;
    let existing: string;
    try {
      existing = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const holder = parseLock(existing);
    if (holder && holderAlive(holder)) throw new DataDirLockedError(dataDir, file, holder);
    if (attempt >= 5) {
      throw new Error(`${file}: could not take over the lock of a stopped runtime; delete the file`);
    }
    removeStale(file, existing);
  }
  let held = true;
  return {
    file,
    update(more) {
      if (!held) return;
      info = { ...info, ...more };
      const next = `${JSON.stringify(info)}\n`;
      const tmp = `${file}.${process.pid}.update`;
      writeFileSync(tmp, next, { mode: 0o600 });
      renameSync(tmp, file);
      text = next;
    },
    release() {
      if (!held) return;
      held = false;
      try {
        if (readFileSync(file, 'utf8') === text) unlinkSync(file);
      } catch {
        // already gone
      }
    },
  };
}
