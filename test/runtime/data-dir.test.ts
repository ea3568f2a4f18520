import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireDataDirLock,
  DataDirLockedError,
  LOCK_FILE,
  prepareDataDir,
} from '../../local/runtime/data-dir.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'storeflow-datadir-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;
/** The pid of a process that has exited (and been reaped). */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe.skipIf(process.platform === 'win32')('the data directory', () => {
  it('is created private to its user (0700), parents included', () => {
    const dir = join(root, 'a', 'b', 'data');
    expect(prepareDataDir(dir)).toEqual([]);
    expect(mode(dir)).toBe(0o700);
  });

  it('is tightened when an earlier version left it readable by others, and says so', () => {
    const dir = join(root, 'data');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    expect(prepareDataDir(dir)).toEqual([`data directory ${dir}: permissions tightened from 0755 to 0700`]);
    expect(mode(dir)).toBe(0o700);
    expect(prepareDataDir(dir)).toEqual([]);
  });
});

describe('the data directory lock', () => {
  it('holds the pid and, once bound, the port and URL; release removes it', () => {
    const lock = acquireDataDirLock(root);
    expect(lock.file).toBe(join(root, LOCK_FILE));
    expect(JSON.parse(readFileSync(lock.file, 'utf8'))).toMatchObject({
      pid: process.pid,
      startedAt: expect.any(String),
    });
    lock.update({ port: 4321, url: 'http://127.0.0.1:4321' });
    expect(JSON.parse(readFileSync(lock.file, 'utf8'))).toMatchObject({
      pid: process.pid,
      port: 4321,
      url: 'http://127.0.0.1:4321',
    });
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
    lock.release(); // idempotent
  });

  it('stops a second holder at once, naming the directory, the holder and the way out', () => {
    const lock = acquireDataDirLock(root);
    lock.update({ port: 4321, url: 'http://127.0.0.1:4321' });
    let error: unknown;
    try {
      acquireDataDirLock(root);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as Error).message).toBe(
      `the data directory ${root} is in use by another storeflow runtime (pid ${process.pid}, serving ` +
        `http://127.0.0.1:4321, since ${(error as DataDirLockedError).holder.startedAt}): stop it first, ` +
        `or give this one another --data. If no runtime is running there, delete ${join(root, LOCK_FILE)}`,
    );
    lock.release();
    acquireDataDirLock(root).release();
  });

  it('takes over the lock of a runtime that died (kill -9)', () => {
    const file = join(root, LOCK_FILE);
    const dead = deadPid();
    writeFileSync(file, JSON.stringify({ pid: dead, startedAt: '2026-01-01T00:00:00.000Z', port: 1 }));
    const lock = acquireDataDirLock(root);
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it.skipIf(process.platform !== 'linux')(
    'does not mistake a reused pid for the runtime that wrote the lock',
    () => {
      const file = join(root, LOCK_FILE);
      // this process's pid, but another process's start time: the writer is gone and the pid reused
      writeFileSync(file, JSON.stringify({ pid: process.pid, processStart: '1', startedAt: 'then' }));
      acquireDataDirLock(root).release();
    },
  );

  it('takes over an unreadable lock file', () => {
    writeFileSync(join(root, LOCK_FILE), 'not json');
    acquireDataDirLock(root).release();
  });

  it('leaves a lock that is no longer its own in place on release', () => {
    const lock = acquireDataDirLock(root);
    const other = JSON.stringify({ pid: deadPid(), startedAt: 'later' });
    writeFileSync(lock.file, other);
    lock.release();
    expect(readFileSync(join(root, LOCK_FILE), 'utf8')).toBe(other);
  });
});
