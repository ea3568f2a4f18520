import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const WORKER = join(import.meta.dirname, 'crash-worker.ts');
const N = 40;
const dir = mkdtempSync(join(tmpdir(), 'sfn-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Worker {
  proc: ChildProcessWithoutNullStreams;
  next(prefix: string): Promise<string>;
  send(line: string): void;
  kill(): Promise<void>;
}

const startWorker = (startMs: number, hang: string): Worker => {
  const proc = spawn(process.execPath, ['--import', 'tsx', WORKER, dir, String(startMs), hang, String(N)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let buf = '';
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i = buf.indexOf('\n');
    while (i >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
    }
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  return {
    proc,
    async next(prefix) {
      for (;;) {
        const idx = lines.findIndex((l) => l.startsWith(prefix));
        if (idx >= 0) return lines.splice(idx, 1)[0]!;
        if (proc.exitCode !== null) throw new Error(`worker exited: ${stderr}`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), exited]);
      }
    },
    send(line) {
      proc.stdin.write(`${line}\n`);
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
};

const readLines = (f: string) =>
  existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean) : [];
const effects = () => readLines('effects.log').map((l) => l.split(' ').slice(1).join(' '));
const count = (state: string) => effects().filter((e) => e.endsWith(` ${state}`)).length;

/** Poll the side-effect log (written by the child) until `pred` holds; no wall-clock sleeping. */
const until = async (pred: () => boolean) => {
  for (let i = 0; i < 200_000 && !pred(); i++) await new Promise<void>((r) => setImmediate(r));
  expect(pred()).toBe(true);
};

describe('crash safety (SIGKILL a child running many executions)', () => {
  it('resumes every execution after kills mid-task and mid-wait; each side effect happens once', async () => {
    const t0 = Date.parse('2025-03-01T00:00:00.000Z');
    // 1) start N executions; kill while task A is still running for some of them
    let w = startWorker(t0, '-');
    await w.next('ready');
    await until(() => count('A') >= N / 4);
    await w.kill();
    expect(count('A')).toBeLessThanOrEqual(N);

    // 2) restart: A completes for all; everyone sleeps (Wait 3600 s) — kill mid-wait after half an hour
    w = startWorker(t0, 'C');
    let now = Number((await w.next('ready')).split(' ')[1]);
    w.send('advance 1800');
    now = Number((await w.next('advanced')).split(' ')[1]);
    expect(count('A')).toBe(N);
    expect(count('B')).toBe(0);
    await w.kill();

    // 3) restart: the wait keeps its absolute due time, so 1800 more seconds wake everybody.
    //    C hangs (in flight) while D waits 60 s; kill with C mid-task.
    //    (advance cannot settle while C is in flight, so watch the invocation log instead)
    w = startWorker(now, 'C');
    await w.next('ready');
    w.send('advance 1800');
    now += 1800 * 1000;
    await until(() => readLines('invocations.log').filter((l) => l.endsWith(' C')).length >= N);
    await w.kill();
    expect(count('B')).toBe(N);
    expect(count('C')).toBe(0);

    // 4) restart without hanging: C is re-invoked (no committed result), D's wait resumes, E runs
    w = startWorker(now, '-');
    await w.next('ready');
    w.send('advance 120');
    await w.next('advanced');
    w.send('status');
    const status = JSON.parse((await w.next('status')).slice('status '.length)) as {
      stats: Record<string, number>;
      outputs: Record<string, unknown>[][];
    };
    await w.kill();

    expect(status.stats).toEqual({ SUCCEEDED: N });
    for (const out of status.outputs) {
      expect(out).toHaveLength(2);
      expect(out[0]).toMatchObject({ A: 'done', B: 'done', C: 'done' });
      expect(out[1]).toMatchObject({ A: 'done', B: 'done', E: 'done' });
    }
    // exactly one side effect per execution and task state, although C was invoked at least twice
    const perKey = new Map<string, number>();
    for (const e of effects()) perKey.set(e, (perKey.get(e) ?? 0) + 1);
    expect(perKey.size).toBe(N * 4); // A, B, C, E
    expect([...perKey.values()].every((v) => v === 1)).toBe(true);
    expect(readLines('invocations.log').filter((l) => l.endsWith(' C')).length).toBeGreaterThanOrEqual(2 * N);
  }, 60_000);
});
