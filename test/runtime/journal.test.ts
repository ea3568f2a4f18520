import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Journal, scanRecords } from '../../local/runtime/journal.ts';

interface Rec {
  id: string;
  v?: number;
  s?: string;
}

const root = mkdtempSync(join(tmpdir(), 'storeflow-journal-'));
let n = 0;
const file = () => join(root, `j${++n}`, 'journal.log');
const reopen = async (path: string) => {
  const { journal, records } = await Journal.open<Rec>(path);
  await journal.close();
  return records;
};

afterEach(() => vi.restoreAllMocks());
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** FileHandle.prototype, to count fdatasync calls. */
const fileHandleProto = async () => {
  const fh = await open(join(root, 'probe'), 'a');
  const proto = Object.getPrototypeOf(fh) as { datasync: () => Promise<void> };
  await fh.close();
  return proto;
};

describe('Journal', () => {
  it('round-trips records in order (creating the directory) and counts appends', async () => {
    const path = file();
    const first = await Journal.open<Rec>(path);
    expect(first.records).toEqual([]);
    const j = first.journal;
    await j.write({ id: 'a', v: 1 });
    j.append({ id: 'b', s: 'héllo ✓ 𝄞' });
    j.append({ id: 'a', v: 2 });
    await j.commit();
    await j.commit(); // nothing pending: resolves at once
    expect(j.appended).toBe(3);
    await j.close();
    const again = await Journal.open<Rec>(path);
    expect(again.records).toEqual([
      { id: 'a', v: 1 },
      { id: 'b', s: 'héllo ✓ 𝄞' },
      { id: 'a', v: 2 },
    ]);
    expect(again.journal.appended).toBe(3);
    await again.journal.close();
  });

  it('drops a torn last line on open and truncates the file to the last complete record', async () => {
    const path = file();
    const { journal } = await Journal.open<Rec>(path);
    await journal.write({ id: 'a', s: 'multi-byte ✓' });
    await journal.write({ id: 'b' });
    await journal.close();
    const good = statSync(path).size;
    appendFileSync(path, '{"id":"c","s":"tor');
    const opened = await Journal.open<Rec>(path);
    expect(opened.records).toEqual([{ id: 'a', s: 'multi-byte ✓' }, { id: 'b' }]);
    expect(statSync(path).size).toBe(good);
    // the next record starts on a clean line
    await opened.journal.write({ id: 'd' });
    await opened.journal.close();
    expect(await reopen(path)).toEqual([{ id: 'a', s: 'multi-byte ✓' }, { id: 'b' }, { id: 'd' }]);
  });

  it('treats a complete JSON value without its newline as torn too', async () => {
    const path = file();
    const { journal } = await Journal.open<Rec>(path);
    await journal.write({ id: 'a' });
    await journal.close();
    appendFileSync(path, '{"id":"b"}');
    expect(await reopen(path)).toEqual([{ id: 'a' }]);
    expect(readFileSync(path, 'utf8')).toBe('{"id":"a"}\n');
  });

  it('group-commits concurrent writes: all resolve, all are on disk, with few fdatasyncs', async () => {
    const proto = await fileHandleProto();
    const syncs = vi.spyOn(proto, 'datasync');
    const path = file();
    const { journal } = await Journal.open<Rec>(path);
    const writes = Array.from({ length: 200 }, (_, i) => journal.write({ id: `r${i}`, v: i }));
    await Promise.all(writes);
    // the first write goes alone, the 199 that queued behind it share one write + fdatasync
    expect(syncs.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(syncs.mock.calls.length).toBeLessThanOrEqual(3);
    await journal.close();
    const records = await reopen(path);
    expect(records).toHaveLength(200);
    expect(records.map((r) => r.v)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('commitLater: records wait for the next commit (one fdatasync for all), or for the timer', async () => {
    const proto = await fileHandleProto();
    const syncs = vi.spyOn(proto, 'datasync');
    const path = file();
    const { journal } = await Journal.open<Rec>(path);
    for (let i = 0; i < 5; i++) {
      journal.append({ id: `done${i}` });
      journal.commitLater();
    }
    expect(syncs).not.toHaveBeenCalled();
    // the next commit takes them along: one write, one fdatasync, and the timer is disarmed
    await journal.write({ id: 'q' });
    expect(syncs).toHaveBeenCalledTimes(1);
    expect(await reopen(path)).toEqual([
      ...Array.from({ length: 5 }, (_, i) => ({ id: `done${i}` })),
      { id: 'q' },
    ]);
    // alone, they are committed by the timer (driven here by fake timers)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      journal.append({ id: 'late' });
      journal.commitLater(50);
      vi.advanceTimersByTime(49);
      expect(syncs).toHaveBeenCalledTimes(1);
      vi.advanceTimersByTime(1);
    } finally {
      vi.useRealTimers();
    }
    await journal.commit(); // resolves once the timer's write is on disk
    expect(syncs).toHaveBeenCalledTimes(2);
    expect((await reopen(path)).at(-1)).toEqual({ id: 'late' });
    await journal.close();
  });

  it('commitWithin: a quiet journal commits at once; a busy one groups commits a window apart', async () => {
    const proto = await fileHandleProto();
    const syncs = vi.spyOn(proto, 'datasync');
    const path = file();
    const { journal } = await Journal.open<Rec>(path);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const settled = (p: Promise<void>) => {
        const state = { done: false };
        void p.then(() => {
          state.done = true;
        });
        return state;
      };
      // quiet: at once, as commit() would
      journal.append({ id: 'first' });
      await journal.commitWithin(20);
      expect(syncs).toHaveBeenCalledTimes(1);
      // within 20 ms of that commit: these wait for the window's end, and share one commit
      vi.advanceTimersByTime(5);
      const waiting = Array.from({ length: 5 }, (_, i) => {
        journal.append({ id: `w${i}` });
        return journal.commitWithin(20);
      });
      const states = waiting.map(settled);
      await new Promise((r) => setImmediate(r));
      expect(syncs).toHaveBeenCalledTimes(1);
      vi.advanceTimersByTime(14); // 19 ms after the last commit began
      await new Promise((r) => setImmediate(r));
      expect(syncs).toHaveBeenCalledTimes(1);
      expect(states.some((s) => s.done)).toBe(false);
      vi.advanceTimersByTime(1);
      await Promise.all(waiting);
      expect(syncs).toHaveBeenCalledTimes(2);
      // a commit() inside the window takes the waiting records along at once
      journal.append({ id: 'soon' });
      const soon = settled(journal.commitWithin(20));
      await journal.write({ id: 'now' });
      expect(syncs).toHaveBeenCalledTimes(3);
      await new Promise((r) => setImmediate(r));
      expect(soon.done).toBe(true);
      // quiet again once the window has passed
      vi.advanceTimersByTime(20);
      journal.append({ id: 'later' });
      await journal.commitWithin(20);
      expect(syncs).toHaveBeenCalledTimes(4);
    } finally {
      vi.useRealTimers();
    }
    await journal.close();
    expect((await reopen(path)).map((r) => r.id)).toEqual([
      'first',
      'w0',
      'w1',
      'w2',
      'w3',
      'w4',
      'soon',
      'now',
      'later',
    ]);
  });

  it('with fsync: false never calls fdatasync, and records still survive a reopen', async () => {
    const proto = await fileHandleProto();
    const syncs = vi.spyOn(proto, 'datasync');
    const path = file();
    const { journal } = await Journal.open<Rec>(path, { fsync: false });
    await Promise.all([journal.write({ id: 'a' }), journal.write({ id: 'b' })]);
    await journal.close();
    expect(syncs).not.toHaveBeenCalled();
    expect(await reopen(path)).toEqual([{ id: 'a' }, { id: 'b' }]);
  });

  it('rewrite keeps the live records plus those appended while it runs, and resets the count', async () => {
    const path = file();
    const { journal } = await Journal.open<Rec>(path);
    for (let i = 0; i < 50; i++) await journal.write({ id: `k${i % 5}`, v: i });
    expect(journal.appended).toBe(50);
    const live: Rec[] = Array.from({ length: 5 }, (_, i) => ({ id: `k${i}`, v: 45 + i }));
    // a lazy iterable, as a store passes its current state; it writes while the rewrite is under way
    const during: Promise<void>[] = [];
    const rewriting = journal.rewrite(
      (function* () {
        yield* live;
        during.push(journal.write({ id: 'k0', v: 100 }), journal.write({ id: 'new', v: 101 }));
      })(),
    );
    await rewriting;
    expect(during).toHaveLength(2);
    await Promise.all(during);
    expect(journal.appended).toBe(2);
    await journal.write({ id: 'after', v: 102 });
    await journal.close();
    expect(await reopen(path)).toEqual([
      ...live,
      { id: 'k0', v: 100 },
      { id: 'new', v: 101 },
      { id: 'after', v: 102 },
    ]);
  });

  it('writes each record as its serializer says, in appends and rewrites alike', async () => {
    const path = file();
    // a record's `s` holds JSON text, written as JSON rather than as an escaped string
    const serialize = (r: Rec) =>
      r.s === undefined ? JSON.stringify(r) : `{"id":${JSON.stringify(r.id)},"raw":${r.s}}`;
    const { journal } = await Journal.open<Rec>(path, { serialize });
    await journal.write({ id: 'a', s: '{"b":[1,"2"]}' });
    expect(readFileSync(path, 'utf8')).toBe('{"id":"a","raw":{"b":[1,"2"]}}\n');
    await journal.rewrite([
      { id: 'c', s: '[true]' },
      { id: 'd', v: 1 },
    ]);
    await journal.close();
    expect(readFileSync(path, 'utf8')).toBe('{"id":"c","raw":[true]}\n{"id":"d","v":1}\n');
    expect(await reopen(path)).toEqual([
      { id: 'c', raw: [true] },
      { id: 'd', v: 1 },
    ]);
  });

  it('rewrite of an empty live set leaves only later records; the temporary file is gone', async () => {
    const path = file();
    const { journal } = await Journal.open<Rec>(path);
    await journal.write({ id: 'a' });
    await journal.rewrite([]);
    expect(journal.appended).toBe(0);
    await journal.write({ id: 'b' });
    await journal.close();
    expect(await reopen(path)).toEqual([{ id: 'b' }]);
    expect(() => statSync(`${path}.tmp`)).toThrow();
  });

  it('keeps writing after a rewrite when a write was in flight as it started', async () => {
    const path = file();
    const { journal } = await Journal.open<Rec>(path);
    const inflight = journal.write({ id: 'a', v: 1 }); // being written when the rewrite starts
    const rewriting = journal.rewrite([{ id: 'a', v: 1 }]);
    await Promise.all([inflight, rewriting]);
    await journal.write({ id: 'b' });
    await journal.close();
    expect(await reopen(path)).toEqual([{ id: 'a', v: 1 }, { id: 'b' }]);
  });

  // A regression test: rewrite() once awaited commit() before it stopped writes to the old file, so
  // a record written in that window was flushed to the old file and lost with the rename.
  it('a record written right after rewrite() starts survives (with a precomputed live set)', async () => {
    const path = file();
    const { journal } = await Journal.open<Rec>(path);
    await journal.write({ id: 'a' });
    const rewriting = journal.rewrite([{ id: 'live' }]);
    const written = journal.write({ id: 'd' });
    await Promise.all([rewriting, written]);
    await journal.close();
    expect(await reopen(path)).toEqual([{ id: 'live' }, { id: 'd' }]);
  });

  it('runs one rewrite at a time: a second call while one runs gets the same one', async () => {
    const path = file();
    const { journal } = await Journal.open<Rec>(path);
    await journal.write({ id: 'a' });
    const first = journal.rewrite([{ id: 'a' }]);
    const second = journal.rewrite([{ id: 'other' }]);
    expect(second).toBe(first);
    await first;
    await journal.write({ id: 'b' });
    await journal.close();
    expect(await reopen(path)).toEqual([{ id: 'a' }, { id: 'b' }]);
  });

  it('streams a large journal: open with `each` and scanRecords read it in chunks, torn tail left out', async () => {
    const path = file();
    const { journal } = await Journal.open<Rec & { pad: string }>(path);
    const pad = 'x'.repeat(3000); // ~1,500 records × 3 KB: several 1 MiB chunks, lines across their edges
    for (let i = 0; i < 1500; i++) journal.append({ id: `r${i}`, pad });
    await journal.commit();
    await journal.close();
    appendFileSync(path, '{"id":"torn');
    expect([...scanRecords<Rec>(path)].map((r) => r.id)).toEqual(
      Array.from({ length: 1500 }, (_, i) => `r${i}`),
    );
    const seen: string[] = [];
    const opened = await Journal.open<Rec>(path, { each: (r) => seen.push(r.id) });
    expect(opened.records).toEqual([]);
    expect(seen).toHaveLength(1500);
    expect(opened.journal.appended).toBe(1500);
    await opened.journal.close();
    expect(readFileSync(path, 'utf8').endsWith('}\n')).toBe(true); // the torn tail was truncated
  });

  it('opens a file whose every line is complete untouched', async () => {
    const path = file();
    const { journal } = await Journal.open<Rec>(path);
    await journal.close();
    writeFileSync(path, '{"id":"x"}\n{"id":"y"}\n');
    expect(await reopen(path)).toEqual([{ id: 'x' }, { id: 'y' }]);
    expect(readFileSync(path, 'utf8')).toBe('{"id":"x"}\n{"id":"y"}\n');
  });

  it('refuses a journal with a bad line before other records (corruption, not a torn write)', async () => {
    const path = file();
    const { journal } = await Journal.open<Rec>(path);
    await journal.write({ id: 'a' });
    await journal.close();
    appendFileSync(path, 'garbage\n{"id":"b"}\n');
    await expect(Journal.open<Rec>(path)).rejects.toThrow(
      /line 2 is not a JSON record and is followed by more/,
    );
  });

  it('rejects writes after close instead of hanging', async () => {
    const { journal } = await Journal.open<Rec>(file());
    await journal.close();
    await expect(journal.write({ id: 'late' })).rejects.toThrow(/the journal is closed/);
  });
});
