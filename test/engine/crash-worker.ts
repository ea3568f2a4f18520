/**
 * Child process for the crash test: an engine on a FileStore whose virtual clock the parent drives
 * over stdin ("advance <seconds>", "status"). Task side effects are appended to effects.log, deduplicated
 * by the engine's idempotency key; every raw invocation is appended to invocations.log.
 * argv: <dir> <startMs> <hangState|-> <executions>
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createEngine, FileStore, VirtualClock } from '../../local/engine/index.ts';

const [dir, startMs, hang, count] = process.argv.slice(2) as [string, string, string, string];
const effectsPath = join(dir, 'effects.log');
const invocationsPath = join(dir, 'invocations.log');
const done = new Set(
  existsSync(effectsPath)
    ? readFileSync(effectsPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[0]!)
    : [],
);

const clock = new VirtualClock(Number(startMs));
const engine = await createEngine({
  store: new FileStore(join(dir, 'engine')),
  clock,
  taskHandler: async (_resource, input, ctx) => {
    appendFileSync(invocationsPath, `${ctx.executionArn} ${ctx.stateName}\n`);
    if (ctx.stateName === hang) {
      // stay in flight until the process is killed
      await new Promise<void>((_r, reject) =>
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    }
    const key = `${ctx.idempotencyKey}`;
    if (!done.has(key)) {
      done.add(key);
      appendFileSync(effectsPath, `${key} ${ctx.executionArn} ${ctx.stateName}\n`);
    }
    return { ...(input as object), [ctx.stateName]: 'done' };
  },
});

const def = {
  StartAt: 'A',
  States: {
    A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.effect', Next: 'Sleep' },
    Sleep: { Type: 'Wait', Seconds: 3600, Next: 'B' },
    B: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.effect',
      Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 5, MaxAttempts: 5 }],
      Next: 'Fan',
    },
    Fan: {
      Type: 'Parallel',
      Branches: [
        {
          StartAt: 'C',
          States: { C: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.effect', End: true } },
        },
        {
          StartAt: 'D',
          States: {
            D: { Type: 'Wait', Seconds: 60, Next: 'E' },
            E: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.effect', End: true },
          },
        },
      ],
      End: true,
    },
  },
};

const smArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:crash';
const existing = await engine.listStateMachines({});
if (!existing.stateMachines.some((s) => s.stateMachineArn === smArn)) {
  await engine.createStateMachine({ name: 'crash', definition: JSON.stringify(def) });
  for (let i = 0; i < Number(count); i++) {
    await engine.startExecution({ stateMachineArn: smArn, name: `x-${i}`, input: JSON.stringify({ i }) });
  }
}
process.stdout.write(`ready ${clock.now()}\n`);

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  void (async () => {
    const [cmd, arg] = line.trim().split(' ');
    if (cmd === 'advance') {
      await clock.advance(Number(arg));
      process.stdout.write(`advanced ${clock.now()}\n`);
    } else if (cmd === 'status') {
      await engine.idle();
      const list = await engine.listExecutions({ stateMachineArn: smArn, maxResults: 1000 });
      const outputs: unknown[] = [];
      for (const x of list.executions) {
        const d = await engine.describeExecution({ executionArn: x.executionArn });
        if (d.output) outputs.push(JSON.parse(d.output));
      }
      process.stdout.write(`status ${JSON.stringify({ stats: engine.stats(), outputs })}\n`);
    }
  })();
});
