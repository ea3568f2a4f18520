import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRecord, openFunctionLog } from '../../local/runtime/function-log.ts';
import { LocalFunction } from '../../local/runtime/lambda.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'storeflow-function-log-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A sandboxed function whose output goes to `onLog`; resolves `seen(text)` once `text` went by. */
function sandboxed(name: string, source: string, onLog: (stream: 'stdout' | 'stderr', text: string) => void) {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, source);
  let output = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  const fn = new LocalFunction(
    {
      name,
      arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
      file,
      exportName: 'handler',
      environment: {},
      timeoutSeconds: 5,
      memorySize: 128,
    },
    {
      onLog: (stream, text) => {
        onLog(stream, text);
        output += text;
        for (const w of waiters.filter((w) => output.includes(w.text))) w.resolve();
      },
    },
  );
  /** Output reaches the runtime apart from the result: wait for the text itself. */
  const seen = (text: string) =>
    output.includes(text)
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ text, resolve }));
  return { fn, seen };
}

const records = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('functions.log', () => {
  it('writes one whole JSON record per line, whatever chunks the sandbox hands over', async () => {
    const file = join(dir, 'partial.log');
    const errors: string[] = [];
    const log = openFunctionLog(file, { onErrorLine: (fn, line) => errors.push(`${fn}: ${line}`) });
    const a = sandboxed(
      'fn-a',
      `export const handler = async (event) => {
        process.stdout.write('{"level":"INFO",');
        process.stdout.write('"message":"half a record","function":"not mine"}\\nplain ');
        process.stdout.write('text\\n');
        console.log(JSON.stringify({ level: 'ERROR', message: 'declined', orderId: event.orderId }));
        process.stderr.write('Error: boom\\n   at handler\\n');
        process.stdout.write('no newline at the end');
        return 1;
      };`,
      log.writer('fn-a'),
    );
    const b = sandboxed(
      'fn-b',
      `export const handler = async () => { console.log('b says hello'); console.log('[1,2]'); return 2; };`,
      log.writer('fn-b'),
    );
    expect(await a.fn.invoke({ orderId: 'o-1' })).toMatchObject({ ok: true });
    expect(await b.fn.invoke({})).toMatchObject({ ok: true });
    await Promise.all([a.seen('no newline at the end'), a.seen('at handler\n'), b.seen('[1,2]\n')]);
    await Promise.all([a.fn.close(), b.fn.close()]);
    await log.close();

    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    const all = records(file);
    expect(all.filter((r) => r.function === 'fn-a' && r.stream === 'stdout')).toEqual([
      { function: 'fn-a', stream: 'stdout', level: 'INFO', message: 'half a record' },
      { function: 'fn-a', stream: 'stdout', message: 'plain text' },
      { function: 'fn-a', stream: 'stdout', level: 'ERROR', message: 'declined', orderId: 'o-1' },
      { function: 'fn-a', stream: 'stdout', message: 'no newline at the end' },
    ]);
    expect(all).toEqual(
      expect.arrayContaining([
        { function: 'fn-a', stream: 'stderr', message: 'Error: boom' },
        { function: 'fn-a', stream: 'stderr', message: '   at handler' },
        { function: 'fn-b', stream: 'stdout', message: 'b says hello' },
        { function: 'fn-b', stream: 'stdout', message: '[1,2]' },
      ]),
    );
    expect(all).toHaveLength(8);
    expect(errors.sort()).toEqual([
      'fn-a: Error: boom',
      'fn-a: {"level":"ERROR","message":"declined","orderId":"o-1"}',
    ]);
  });

  it('keeps a partial line of one function apart from the lines of another', () => {
    const file = join(dir, 'interleaved.log');
    const log = openFunctionLog(file);
    const a = log.writer('fn-a');
    const b = log.writer('fn-b');
    a('stdout', 'first half, ');
    b('stdout', 'a whole line of b\n');
    a('stderr', 'an error line of a\n');
    a('stdout', 'second half\r\n\n');
    return log.close().then(() => {
      expect(records(file)).toEqual([
        { function: 'fn-b', stream: 'stdout', message: 'a whole line of b' },
        { function: 'fn-a', stream: 'stderr', message: 'an error line of a' },
        { function: 'fn-a', stream: 'stdout', message: 'first half, second half' },
      ]);
    });
  });
});

describe('a functions.log record', () => {
  it.each([
    [
      'a JSON object keeps its fields, after the function and stream',
      '{"level":"INFO","x":1}',
      { level: 'INFO', x: 1 },
    ],
    ['the function and stream are the runtime’s', '{"function":"f2","stream":"x","m":1}', { m: 1 }],
    ['a JSON array is a message', '[1]', { message: '[1]' }],
    ['broken JSON is a message', '{"level":', { message: '{"level":' }],
    ['text is a message', 'hello "world"', { message: 'hello "world"' }],
  ])('%s', (_, line, fields) => {
    const record = JSON.parse(formatRecord('fn', 'stdout', line));
    expect(record).toEqual({ function: 'fn', stream: 'stdout', ...fields });
    expect(Object.keys(record).slice(0, 2)).toEqual(['function', 'stream']);
  });
});
