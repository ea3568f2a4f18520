/**
 * The file that keeps the Scheduler API schedules' definitions while they wait (local/eventbridge/definitions.ts):
 * lines read back by offset whether or not they have reached the file yet, dead lines counted, and a rewrite that
 * moves every live line and keeps nothing else.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DefinitionFile } from '../../local/eventbridge/definitions.ts';
import type { ScheduleDefinition } from '../../local/eventbridge/scheduler.ts';
import { serializeRecord } from '../../local/eventbridge/state.ts';

const dir = mkdtempSync(join(tmpdir(), 'definitions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const def = (name: string, input: string) =>
  ({
    Arn: `arn:aws:scheduler:us-east-1:123456789012:schedule/timers/${name}`,
    Name: name,
    GroupName: 'timers',
    ScheduleExpression: 'at(2026-12-01T00:00:00)',
    State: 'ENABLED',
    Target: {
      Arn: 'arn:aws:lambda:us-east-1:123456789012:function:deadline',
      RoleArn: 'arn:aws:iam::123456789012:role/r',
      Input: input,
      RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
    },
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    CreationDate: 1,
    LastModificationDate: 1,
  }) as ScheduleDefinition;

describe('the definitions file', () => {
  it('reads back each line by its place, before and after it reaches the file; starts empty', () => {
    const file = join(dir, 'a.jsonl');
    const f = new DefinitionFile(file);
    const first = f.write({ def: def('a', '{"n":1}'), tok: 'tok-a' });
    const second = f.write({ def: def('b', '{"n":"ünïcode"}') });
    // Gathered, not written yet: a read writes them first.
    expect(statSync(file).size).toBe(0);
    expect(f.read(second.at, second.len)).toEqual({ def: def('b', '{"n":"ünïcode"}') });
    expect(f.read(first.at, first.len)).toEqual({ def: def('a', '{"n":1}'), tok: 'tok-a' });
    expect(statSync(file).size).toBe(first.len + second.len);
    expect(f.lines).toBe(2);
    f.close();
    // A new run starts from an empty file: the journal is the record, this is rebuilt from it.
    const again = new DefinitionFile(file);
    expect(statSync(file).size).toBe(0);
    again.close();
  });

  it('counts released lines and, once they outweigh the live ones, rewrites the file with the live ones alone', () => {
    const file = join(dir, 'b.jsonl');
    const f = new DefinitionFile(file);
    const input = JSON.stringify({ pad: 'x'.repeat(400) });
    const refs = Array.from({ length: 6000 }, (_, i) => ({
      name: `s-${i}`,
      ...f.write({ def: def(`s-${i}`, input), ...(i % 2 ? { tok: `t-${i}` } : {}) }),
    }));
    expect(f.wasteful).toBe(false);
    // Two of every three released: dead bytes pass the live ones (and 1 MiB).
    const live = refs.filter((_, i) => i % 3 === 0);
    for (const [i, r] of refs.entries()) if (i % 3 !== 0) f.release(r.len);
    expect(f.lines).toBe(2000);
    expect(f.wasteful).toBe(true);
    const before = live.map((r) => r.at);
    f.compact(live);
    expect(f.wasteful).toBe(false);
    expect(live.map((r) => r.at)).not.toEqual(before);
    expect(statSync(file).size).toBe(live.reduce((n, r) => n + r.len, 0));
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(live.length + 1);
    for (const r of live) {
      const i = Number(r.name.slice(2));
      expect(f.read(r.at, r.len)).toEqual({ def: def(r.name, input), ...(i % 2 ? { tok: `t-${i}` } : {}) });
    }
    // Appends go on after the rewritten lines.
    const next = f.write({ def: def('after', '{}') });
    expect(next.at).toBe(statSync(file).size);
    expect(f.read(next.at, next.len).def.Name).toBe('after');
    f.close();
  });

  it('a compaction writes a schedule record with the definition text spliced in, as JSON', () => {
    const f = new DefinitionFile(join(dir, 'c.jsonl'));
    const stored = { def: def('a', '{"quote":"\\"x\\""}'), tok: 'tok-a' };
    const { at, len } = f.write(stored);
    const state = { t: 's', k: 'schedule:a', fp: '', anchor: 1, next: 2, last: 1 } as const;
    const line = serializeRecord({ ...state, text: f.readText(at, len) });
    expect(JSON.parse(line)).toEqual({ ...state, ...stored });
    // without a text, a record is written as it is
    expect(serializeRecord({ ...state, next: null })).toBe(JSON.stringify({ ...state, next: null }));
    f.close();
  });
});
