/**
 * Parked Scheduler schedules (local/eventbridge/parked.ts) against a plain model: schedules parked, found by key,
 * taken back and falling due in random order come back whole (key, due time, anchor, retry limits, completion
 * action, definition) and in due-time order, ties in the order they were parked; keys read from a definition's
 * text, with or without the fast path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiSchedule, DefinitionFile, keyOfText } from '../../local/eventbridge/definitions.ts';
import { ParkedSchedules } from '../../local/eventbridge/parked.ts';
import type { ScheduleDefinition } from '../../local/eventbridge/scheduler.ts';

const dir = mkdtempSync(join(tmpdir(), 'parked-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const arn = (name: string) => `arn:aws:scheduler:us-east-1:123456789012:schedule/timers/${name}`;
const def = (name: string, deleteAfter: boolean): ScheduleDefinition =>
  ({
    Arn: arn(name),
    Name: name,
    GroupName: 'timers',
    ScheduleExpression: 'at(2026-12-01T00:00:00)',
    State: 'ENABLED',
    Target: {
      Arn: 'arn:aws:lambda:us-east-1:123456789012:function:deadline',
      RoleArn: 'arn:aws:iam::123456789012:role/r',
      Input: JSON.stringify({ name }),
      RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 7 },
    },
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: deleteAfter ? 'DELETE' : 'NONE',
    CreationDate: 1,
    LastModificationDate: 1,
  }) as ScheduleDefinition;

/** A deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('parked schedules', () => {
  it('come back whole and in due-time order (ties as parked), whatever is taken in between', () => {
    const file = new DefinitionFile(join(dir, 'a.jsonl'));
    const parked = new ParkedSchedules(file);
    const rnd = random(59);
    type Model = { name: string; due: number; anchor: number; deleteAfter: boolean; order: number };
    const model = new Map<string, Model>();
    let order = 0;
    const park = (name: string) => {
      const deleteAfter = rnd() < 0.5;
      const d = def(name, deleteAfter);
      const { at, len } = file.write({ def: d });
      const s = new ApiSchedule(file, {
        key: `schedule:${arn(name)}`,
        enabled: true,
        maxRetries: 7,
        maxAgeMs: 3_600_000,
        oneTime: true,
        deleteAfter,
        at,
        len,
      });
      // few distinct due times: many ties
      s.next = 1_000_000 + Math.floor(rnd() * 50) * 1000;
      s.anchor = 1000 + order;
      parked.park(s);
      model.set(name, { name, due: s.next, anchor: s.anchor, deleteAfter, order: order++ });
    };
    const check = (s: ApiSchedule, m: Model) => {
      expect(s.key).toBe(`schedule:${arn(m.name)}`);
      expect([s.next, s.anchor, s.maxRetries, s.maxAgeMs, s.enabled, s.oneTime]).toEqual([
        m.due,
        m.anchor,
        7,
        3_600_000,
        true,
        true,
      ]);
      expect(s.actionAfterCompletion).toBe(m.deleteAfter ? 'DELETE' : 'NONE');
      expect(JSON.parse(s.def.Target.Input!)).toEqual({ name: m.name });
    };
    for (let i = 0; i < 2000; i++) park(`s-${i}`);
    expect(parked.size).toBe(2000);
    // taken back by key at random (their slots are reused by later ones), some parked again later
    for (let i = 0; i < 600; i++) {
      const name = `s-${Math.floor(rnd() * 2000)}`;
      const taken = parked.takeKey(`schedule:${arn(name)}`);
      if (!model.has(name)) {
        expect(taken).toBeUndefined();
        continue;
      }
      check(taken!, model.get(name)!);
      model.delete(name);
      if (rnd() < 0.3) park(`again-${i}`);
    }
    expect(parked.size).toBe(model.size);
    expect(parked.takeKey(`schedule:${arn('never')}`)).toBeUndefined();
    // the file rewritten: every parked definition moves, and is read from its new place
    const places = parked.places();
    file.compact(places);
    parked.moved(places);
    // due in steps, as the clock moves
    const expected = [...model.values()].sort((a, b) => a.due - b.due || a.order - b.order);
    const got: ApiSchedule[] = [];
    for (let now = 1_000_000; parked.size > 0; now += 7_000) {
      expect(parked.nextDue()).toBe(expected[got.length]!.due);
      got.push(...parked.takeDue(now));
      expect(got.every((s) => s.next! <= now)).toBe(true);
    }
    expect(got.map((s) => s.key)).toEqual(expected.map((m) => `schedule:${arn(m.name)}`));
    for (const [i, s] of got.entries()) check(s, expected[i]!);
    expect(parked.nextDue()).toBeUndefined();
    file.close();
  });

  it('reads a key from a definition’s text, its ARN first or not', () => {
    const d = def('k-1', true);
    expect(keyOfText(JSON.stringify({ def: d, tok: 't' }))).toBe(`schedule:${arn('k-1')}`);
    const { Arn, ...rest } = d;
    expect(keyOfText(JSON.stringify({ def: { ...rest, Arn } }))).toBe(`schedule:${arn('k-1')}`);
  });
});
