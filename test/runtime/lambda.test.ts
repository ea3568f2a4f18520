import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonPayload, LocalFunction, type LocalFunctionSpec } from '../../local/runtime/lambda.ts';

let dir: string;
const opened: LocalFunction[] = [];

function fn(source: string, overrides: Partial<LocalFunctionSpec> = {}, options = {}) {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  const f = new LocalFunction(
    {
      name: 'fn',
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:fn',
      file,
      exportName: 'handler',
      environment: {},
      timeoutSeconds: 3,
      memorySize: 128,
      ...overrides,
    },
    options,
  );
  opened.push(f);
  return f;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'storeflow-lambda-'));
});
afterAll(async () => {
  await Promise.all(opened.map((f) => f.close()));
  rmSync(dir, { recursive: true, force: true });
});

const counter = `let n = 0; export const handler = async (event, ctx) => ({ n: ++n, echo: event, env: process.env.GREETING ?? null, fn: ctx.functionName, leaked: process.env.OTHER ?? null });`;

describe('a local Lambda sandbox', () => {
  it('starts cold, then stays warm with its module state', async () => {
    const f = fn(counter, { environment: { GREETING: 'hi' } });
    const first = await f.invoke({ a: 1 });
    const second = await f.invoke({ a: 2 });
    expect(first).toMatchObject({
      ok: true,
      cold: true,
      result: { n: 1, echo: { a: 1 }, env: 'hi', fn: 'fn' },
    });
    expect(second).toMatchObject({ ok: true, cold: false, result: { n: 2, echo: { a: 2 } } });
  });

  it('gives each function its own environment, never the runtime’s or another function’s', async () => {
    process.env.OTHER = 'runtime secret';
    const a = fn(counter, { environment: { GREETING: 'a' } });
    const b = fn(counter, { environment: { GREETING: 'b' } });
    const [ra, rb] = await Promise.all([a.invoke({}), b.invoke({})]);
    expect(ra).toMatchObject({ ok: true, result: { env: 'a', leaked: null } });
    expect(rb).toMatchObject({ ok: true, result: { env: 'b', leaked: null } });
    delete process.env.OTHER;
  });

  it.runIf(process.platform === 'linux')(
    'runs a sandbox that served an asynchronous invocation at a lower priority, one serving requests at the process’s',
    async () => {
      // The handler reports its own thread's nice value (Linux: a thread is a task with its own).
      const nice = `import { readlinkSync } from 'node:fs';
        import { getPriority } from 'node:os';
        export const handler = async () => getPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()));`;
      const base = (await import('node:os')).getPriority();
      const foreground = fn(nice);
      expect(await foreground.invoke({})).toMatchObject({ ok: true, result: base });
      expect(await foreground.invoke({})).toMatchObject({ ok: true, result: base });
      const background = fn(nice);
      const lowered = Math.min(19, Math.max(base, 10));
      expect(await background.invoke({}, { background: true })).toMatchObject({ ok: true, result: lowered });
      // It stays lowered (an unprivileged thread may not raise it back); the function still answers.
      expect(await background.invoke({})).toMatchObject({ ok: true, result: lowered });
    },
  );

  it('parses an event given as JSON text in the sandbox', async () => {
    const f = fn(counter);
    const r = await f.invoke(new JsonPayload('{"a":[1,{"b":null}],"n":-1.5e3}'));
    expect(r).toMatchObject({
      ok: true,
      result: { echo: { a: [1, { b: null }], n: -1500 } },
    });
  });

  it('runs concurrent invocations in separate sandboxes', async () => {
    const f = fn(
      `let n = 0; export const handler = async () => { n++; await new Promise((r) => setImmediate(r)); return n; };`,
    );
    const results = await Promise.all([f.invoke({}), f.invoke({}), f.invoke({})]);
    expect(results.every((r) => r.ok && r.cold)).toBe(true);
  });

  it('reports a thrown error the way Lambda does', async () => {
    const f = fn(
      `class PaymentDeclined extends Error { name = 'PaymentDeclined' }; export const handler = async () => { throw new PaymentDeclined('card expired'); };`,
    );
    const result = await f.invoke({});
    expect(result).toMatchObject({
      ok: false,
      error: { errorType: 'PaymentDeclined', errorMessage: 'card expired' },
    });
    expect(result.ok ? [] : result.error.trace).toEqual(
      expect.arrayContaining([expect.stringContaining('card expired')]),
    );
  });

  it('enforces the timeout by discarding the sandbox; the next call is cold', async () => {
    const f = fn(
      `let n = 0; export const handler = async (e) => { n++; if (e.hang) await new Promise(() => {}); return n; };`,
      {},
      { timeoutMs: 100 },
    );
    expect(await f.invoke({})).toMatchObject({ ok: true, cold: true, result: 1 });
    const timedOut = await f.invoke({ hang: true });
    expect(timedOut).toMatchObject({
      ok: false,
      error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.10 seconds' },
    });
    expect(await f.invoke({})).toMatchObject({ ok: true, cold: true, result: 1 });
  });

  describe("the init phase (the bundle's import) is apart from the invocation, as on Lambda", () => {
    /** Timers the test fires by hand, each with the delay it was armed for. */
    const manualTimers = () => {
      const due = new Map<number, { callback: () => void; ms: number }>();
      let next = 0;
      return {
        setTimeout: (callback: () => void, ms: number) => {
          due.set(++next, { callback, ms });
          return next;
        },
        clearTimeout: (handle: unknown) => void due.delete(handle as number),
        armed: () => [...due.values()].map((t) => t.ms),
        fire(ms: number) {
          for (const [id, t] of due) {
            if (t.ms !== ms) continue;
            due.delete(id);
            t.callback();
          }
        },
      };
    };
    /** A module whose import waits until the test creates its gate file. */
    const gated = (gate: string) =>
      `import { existsSync } from 'node:fs';
       while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 2));
       export const handler = async () => 'served';`;
    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise((r) => setImmediate(r));
    };

    it('starts the timeout only once the import has finished', async () => {
      const timers = manualTimers();
      const gate = join(dir, `gate-${Math.random()}`);
      const f = fn(gated(gate), {}, { timers, timeoutMs: 100 });
      const result = f.invoke({});
      await until(() => timers.armed().length > 0);
      // While the bundle imports only the init limit runs, not the invocation's 100 ms.
      expect(timers.armed()).toEqual([10_000]);
      writeFileSync(gate, '');
      expect(await result).toMatchObject({ ok: true, cold: true, result: 'served' });
    });

    it('ends an import over the init limit with Runtime.InitTimeout; the next call starts again', async () => {
      const timers = manualTimers();
      const gate = join(dir, `gate-${Math.random()}`);
      const f = fn(gated(gate), {}, { timers });
      const result = f.invoke({});
      await until(() => timers.armed().includes(10_000));
      timers.fire(10_000);
      expect(await result).toMatchObject({
        ok: false,
        cold: true,
        error: { errorType: 'Runtime.InitTimeout' },
      });
      expect(f.sandboxes).toBe(0);
      writeFileSync(gate, '');
      expect(await f.invoke({})).toMatchObject({ ok: true, cold: true, result: 'served' });
    });

    it('reports an import that throws to the invocation and discards the sandbox', async () => {
      const f = fn(`throw new TypeError('bad config'); export const handler = () => 1;`);
      expect(await f.invoke({})).toMatchObject({
        ok: false,
        cold: true,
        error: { errorType: 'TypeError', errorMessage: 'bad config' },
      });
      expect(f.sandboxes).toBe(0);
    });
  });

  it('names a missing handler export', async () => {
    const f = fn(`export const other = () => 1;`);
    expect(await f.invoke({})).toMatchObject({ ok: false, error: { errorType: 'Runtime.HandlerNotFound' } });
  });
});
