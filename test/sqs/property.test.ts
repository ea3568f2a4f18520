import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/engine/clock.ts';
import { createSqs, type LocalSqs, type QueueSpec, SqsError } from '../../local/sqs/queues.ts';

const root = mkdtempSync(join(tmpdir(), 'storeflow-sqs-prop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const spec = (name: string): QueueSpec => ({
  name,
  arn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
  url: `http://sqs.us-east-1.localhost/000000000000/${name}`,
  visibilityTimeoutSeconds: 20,
});

let runs = 0;
/** An SQS on a fresh directory that can "crash" (be abandoned) and reopen on the same journal. */
const instance = async (queue: QueueSpec) => {
  const dir = join(root, `run${++runs}`);
  const all: LocalSqs[] = [];
  const openAt = async (now?: number) => {
    const clock = new VirtualClock(now);
    const sqs = await createSqs({
      dir,
      clock,
      region: 'us-east-1',
      account: '000000000000',
      queues: [queue],
      mappings: [],
      invoke: async () => ({ ok: true, result: null }),
      fsync: false,
      compactAfter: 40, // compactions happen mid-run too
    });
    all.push(sqs);
    return { sqs, clock };
  };
  let current = await openAt();
  return {
    get sqs() {
      return current.sqs;
    },
    get clock() {
      return current.clock;
    },
    async crash() {
      current = await openAt(current.clock.now());
    },
    async dispose() {
      // the abandoned instances only hold file handles: all their work was awaited
      for (const s of all) await s.close();
    },
  };
};

type Op =
  | { t: 'send'; group: number }
  | { t: 'recv'; max: number; vt: number }
  | { t: 'del'; pick: number }
  | { t: 'chg'; pick: number; vt: number }
  | { t: 'adv'; s: number }
  | { t: 'crash' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('send' as const), group: fc.nat(2) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('recv' as const),
      max: fc.integer({ min: 1, max: 10 }),
      vt: fc.constantFrom(0, 5, 20, 60),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('del' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('chg' as const), pick: fc.nat(), vt: fc.constantFrom(0, 10, 100) }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('adv' as const), s: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'crash' as const }) },
);

interface ModelMsg {
  readonly body: string;
  readonly group: string;
  readonly order: number;
  deleted: boolean;
  invisibleUntil: number;
  latestHandle: string | undefined;
}

/**
 * Runs the ops against the queue and a model of it. Checked on every step: a receive returns exactly
 * min(max, visible) messages, each one existing, undeleted and visible in the model (so nothing is
 * delivered after its deletion or while in flight), bodies intact; FIFO order per group; a
 * ChangeMessageVisibility fails exactly when the model says it must. At the end, with every
 * timeout run out, a drain returns exactly the undeleted messages: nothing was lost.
 */
const check = async (queue: QueueSpec, ops: Op[]) => {
  const sim = await instance(queue);
  const fifo = queue.name.endsWith('.fifo');
  const model = new Map<string, ModelMsg>();
  const handles: { id: string; handle: string }[] = [];
  let sent = 0;
  const visible = (now: number) => [...model.values()].filter((m) => !m.deleted && m.invisibleUntil <= now);
  try {
    for (const o of ops) {
      const now = sim.clock.now();
      switch (o.t) {
        case 'send': {
          const body = `m${sent++}`;
          const group = `g${o.group}`;
          const r = await sim.sqs.sendMessage(
            queue.name,
            body,
            fifo ? { messageGroupId: group, messageDeduplicationId: body } : {},
          );
          model.set(r.MessageId, {
            body,
            group,
            order: sent,
            deleted: false,
            invisibleUntil: now,
            latestHandle: undefined,
          });
          break;
        }
        case 'recv': {
          const got = await sim.sqs.receiveMessage(queue.name, {
            maxNumberOfMessages: o.max,
            visibilityTimeout: o.vt,
          });
          expect(new Set(got.map((m) => m.MessageId)).size).toBe(got.length);
          if (!fifo) expect(got.length).toBe(Math.min(o.max, visible(now).length));
          for (const [i, m] of got.entries()) {
            const mm = model.get(m.MessageId);
            expect(mm, `unknown message ${m.MessageId}`).toBeDefined();
            expect(mm!.deleted, `${mm!.body} delivered after deletion`).toBe(false);
            expect(mm!.invisibleUntil, `${mm!.body} delivered while in flight`).toBeLessThanOrEqual(now);
            expect(m.Body).toBe(mm!.body);
            if (fifo) {
              // every earlier undeleted message of the group comes before it in this very batch
              const earlier = [...model.values()].filter(
                (x) => x.group === mm!.group && x.order < mm!.order && !x.deleted,
              );
              const before = new Set(got.slice(0, i).map((g) => model.get(g.MessageId)!.body));
              for (const e of earlier) expect(before.has(e.body), `${e.body} before ${mm!.body}`).toBe(true);
            }
          }
          for (const m of got) {
            const mm = model.get(m.MessageId)!;
            mm.invisibleUntil = now + o.vt * 1000;
            mm.latestHandle = m.ReceiptHandle;
            handles.push({ id: m.MessageId, handle: m.ReceiptHandle });
          }
          break;
        }
        case 'del': {
          if (!handles.length) break;
          const h = handles[o.pick % handles.length]!;
          await sim.sqs.deleteMessage(queue.name, h.handle);
          const mm = model.get(h.id)!;
          if (mm.latestHandle === h.handle) mm.deleted = true;
          break;
        }
        case 'chg': {
          if (!handles.length) break;
          const h = handles[o.pick % handles.length]!;
          const mm = model.get(h.id)!;
          const error = await sim.sqs
            .changeMessageVisibility(queue.name, h.handle, o.vt)
            .then(() => undefined)
            .catch((e: unknown) => e);
          const current = !mm.deleted && mm.latestHandle === h.handle;
          if (!current) {
            expect(error).toMatchObject({ code: 'InvalidParameterValue' });
          } else if (mm.invisibleUntil <= now) {
            expect(error).toMatchObject({ code: 'MessageNotInflight' });
          } else {
            expect(error).toBeUndefined();
            mm.invisibleUntil = now + o.vt * 1000;
          }
          if (error !== undefined) expect(error).toBeInstanceOf(SqsError);
          break;
        }
        case 'adv':
          await sim.clock.advance(o.s);
          break;
        case 'crash':
          await sim.crash();
          break;
      }
    }
    // let every timeout run out, then drain: exactly the undeleted messages are left
    await sim.clock.advance(120);
    const drained: string[] = [];
    for (;;) {
      const got = await sim.sqs.receiveMessage(queue.name, {
        maxNumberOfMessages: 10,
        visibilityTimeout: 3600,
      });
      if (!got.length) break;
      drained.push(...got.map((m) => m.Body));
    }
    const expected = [...model.values()].filter((m) => !m.deleted).map((m) => m.body);
    expect(drained.sort()).toEqual(expected.sort());
  } finally {
    await sim.dispose();
  }
};

describe('any interleaving of sends, receives, deletes, visibility changes, time and crashes', () => {
  it('loses no message and delivers none after its deletion (standard queue)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => check(spec('prop'), ops)),
      { numRuns: 60 },
    );
  });

  it('and keeps each group in order on a FIFO queue', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => check(spec('prop.fifo'), ops)),
      { numRuns: 60 },
    );
  });
});
