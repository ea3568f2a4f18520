import { beforeAll, describe, expect, it } from 'vitest';
import { presaleCallbacks, type TaskCallbacks } from '#domain/presale/callbacks';
import { parsePresale } from '#domain/presale/presale';
import { presaleRun } from '#domain/presale/run';
import { presaleStepHandler } from '#domain/presale/steps';
import { MemoryPublisher, MemoryTimeline } from '#test/support/memory-ports';
import { MemoryPresaleStore } from '#test/support/memory-presale-store';
import { presaleStateMachine } from '#test/support/presale-definition';
import { createEngine, createTaskRouter, MemoryStore, VirtualClock } from '../../local/engine/index.ts';

/**
 * The presale order state machine exactly as CDK synthesizes it, executed by the local engine with
 * the real domain steps over in-memory ports whose failures the test injects: retries with
 * backoff, compensation when a step fails for good, and the callbacks reaching the waits.
 */
const STEP = 'arn:aws:lambda:us-east-1:000000000000:function:PresaleOrderStep';
let definition: string;

beforeAll(() => {
  definition = presaleStateMachine(STEP).definition;
});

const T0 = Date.parse('2026-11-01T00:00:00.000Z');
const HOUR = 3600;

async function setup() {
  const clock = new VirtualClock(T0);
  const store = new MemoryPresaleStore();
  const publisher = new MemoryPublisher();
  const timeline = new MemoryTimeline();
  const deps = { store, publisher, timeline, clock: { now: () => new Date(clock.now()) } };
  const step = presaleStepHandler(presaleRun(deps));
  const engine = await createEngine({
    store: new MemoryStore(),
    clock,
    taskHandler: createTaskRouter({
      invokeLambda: async (name, payload) => {
        if (name !== STEP) throw new Error(`unexpected function ${name}`);
        return step(payload);
      },
    }),
  });
  const { stateMachineArn } = await engine.createStateMachine({ name: 'presale-order', definition });
  const callbacks: TaskCallbacks = {
    async succeed(taskToken, output) {
      await engine.sendTaskSuccess({ taskToken, output: JSON.stringify(output) });
      return 'sent';
    },
    async fail(taskToken, error, cause) {
      await engine.sendTaskFailure({ taskToken, error, cause });
      return 'sent';
    },
  };
  const answers = presaleCallbacks({ ...deps, callbacks });
  const presale = parsePresale('ps-1', {
    sku: 'SOFA-OAK-3',
    listPrice: { amount: 500_000, currency: 'CNY' },
    depositWindow: {
      start: new Date(T0 - HOUR * 1000).toISOString(),
      end: new Date(T0 + 24 * HOUR * 1000).toISOString(),
    },
    quota: 5,
  });
  await store.savePresale(presale, null, new Date(T0).toISOString());

  const start = async (orderId: string) => {
    const { executionArn } = await engine.startExecution({
      stateMachineArn,
      name: orderId,
      input: JSON.stringify({
        deposit: {
          orderId,
          presaleId: 'ps-1',
          customerId: 'c-1',
          amount: { amount: 50_000, currency: 'CNY' },
          paidAt: new Date(T0).toISOString(),
        },
        eventId: `evt-${orderId}`,
      }),
    });
    await clock.advance(0);
    return executionArn;
  };
  const describe = (executionArn: string) => engine.describeExecution({ executionArn });
  const history = async (executionArn: string) =>
    (await engine.getExecutionHistory({ executionArn, maxResults: 1000 })).events as Array<{
      type: string;
      timestamp: Date | string | number;
      stateEnteredEventDetails?: { name: string };
    }>;
  /** Advances virtual time timer by timer while `busy` holds (retries, backoff), never past `limitSeconds`. */
  const runWhile = async (busy: () => Promise<boolean>, limitSeconds: number) => {
    const limit = clock.now() + limitSeconds * 1000;
    await clock.advance(0);
    while (await busy()) {
      const next = clock.nextDue();
      if (next === undefined || next > limit) break;
      await clock.advanceTo(next);
    }
  };
  const taken = async () => (await store.getPresale('ps-1'))!.taken;
  const waitingIn = async (arn: string, state: string) => {
    const events = await history(arn);
    const last = events.filter((e) => e.type === 'TaskStateEntered').at(-1);
    return last?.stateEnteredEventDetails?.name === state && !isFailure(events.at(-1)?.type);
  };
  return {
    clock,
    store,
    publisher,
    timeline,
    engine,
    answers,
    start,
    describe,
    history,
    runWhile,
    taken,
    waitingIn,
  };
}

/** A step's failed attempt: `TaskFailed`, or `LambdaFunctionFailed` for a function-ARN resource. */
const isFailure = (type: string | undefined) => type === 'TaskFailed' || type === 'LambdaFunctionFailed';

const entered = (events: Array<{ type: string; stateEnteredEventDetails?: { name: string } }>) =>
  events.filter((e) => e.type === 'TaskStateEntered').map((e) => e.stateEnteredEventDetails?.name);

describe('the presale order workflow on the engine', () => {
  it('retries a transient failure with exponential backoff and carries on', async () => {
    const w = await setup();
    w.store.failNext.createOrder = 2;
    const arn = await w.start('po-retry');
    await w.runWhile(async () => !(await w.waitingIn(arn, 'AwaitBalanceWindow')), 600);

    const events = await w.history(arn);
    expect(events.filter((e) => isFailure(e.type))).toHaveLength(2);
    // RecordOrder ran three times: two retries, each after its backoff (full jitter: 0–2 s, then 0–4 s).
    const attempts = events
      .filter((e) => e.type === 'LambdaFunctionScheduled')
      .map((e) => Date.parse(String(e.timestamp)));
    expect(attempts).toHaveLength(4);
    expect(attempts[3]! - attempts[1]!).toBeLessThanOrEqual(6000);
    expect(entered(events)).toEqual(['TakeUnit', 'RecordOrder', 'AwaitBalanceWindow']);
    expect((await w.store.getOrder('po-retry'))?.order.status).toBe('DEPOSIT_PAID');
    expect(await w.taken()).toBe(1);
    expect((await w.describe(arn)).status).toBe('RUNNING');
  });

  it('compensates when a step fails for good: the taken unit goes back, the order is cancelled and refunded', async () => {
    const w = await setup();
    // Every attempt of RecordOrder fails (1 + 10 retries); the compensation's own write then works.
    w.store.failNext.createOrder = 11;
    const arn = await w.start('po-broken');
    await w.runWhile(async () => (await w.describe(arn)).status === 'RUNNING', 3600);

    const run = await w.describe(arn);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('PresaleOrderFailed');
    const events = await w.history(arn);
    // 1 attempt + 10 retries of RecordOrder, then the compensation.
    expect(events.filter((e) => isFailure(e.type))).toHaveLength(11);
    expect(entered(events)).toEqual(['TakeUnit', 'RecordOrder', 'Compensate']);
    expect(await w.taken()).toBe(0);
    const order = (await w.store.getOrder('po-broken'))?.order;
    expect(order).toMatchObject({ status: 'CANCELLED', depositOutcome: 'refunded' });
    expect(order?.cancelReason).toMatch(/^WorkflowFailed: /);
    const cancelled = w.publisher.events.filter((e) => e.detailType === 'PresaleOrderCancelled');
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]?.detail.data).toMatchObject({ orderId: 'po-broken', depositOutcome: 'refunded' });
    const runLines = [...w.timeline.entries.values()]
      .filter((e) => e.kind === 'run')
      .map((e) => e.detail.status);
    expect(runLines.sort()).toEqual(['FAILED', 'RUNNING']);
  });

  it('compensates a failure after the balance window opened: the waiting order is cancelled, its unit returned once', async () => {
    const w = await setup();
    const arn = await w.start('po-late-failure');
    expect(await w.waitingIn(arn, 'AwaitBalanceWindow')).toBe(true);
    expect(await w.taken()).toBe(1);
    // OpenBalance writes BALANCE_DUE, then cannot publish on any of its 11 attempts.
    w.publisher.failNext = 11;
    await w.runWhile(async () => (await w.describe(arn)).status === 'RUNNING', 2 * 24 * HOUR);

    expect((await w.describe(arn)).status).toBe('FAILED');
    expect(entered(await w.history(arn))).toEqual([
      'TakeUnit',
      'RecordOrder',
      'AwaitBalanceWindow',
      'OpenBalance',
      'Compensate',
    ]);
    expect((await w.store.getOrder('po-late-failure'))?.order).toMatchObject({
      status: 'CANCELLED',
      depositOutcome: 'refunded',
    });
    expect(await w.taken()).toBe(0);
  });

  it('a paid order is never compensated into a cancellation: its unit stays taken, its promise is published', async () => {
    const w = await setup();
    const arn = await w.start('po-paid');
    await w.clock.advance(24 * HOUR);
    expect(await w.waitingIn(arn, 'AwaitBalance')).toBe(true);
    // PayBalance writes BALANCE_PAID, then cannot publish the fulfilment promise on any attempt.
    w.publisher.failNext = 11;
    const forwarded = await w.answers.balancePaid(
      {
        orderId: 'po-paid',
        amount: { amount: 400_000, currency: 'CNY' },
        paidAt: new Date(w.clock.now()).toISOString(),
      },
      'evt-balance-1',
    );
    expect(forwarded).toEqual({ outcome: 'forwarded' });
    await w.runWhile(async () => (await w.describe(arn)).status === 'RUNNING', 3 * 3600);

    expect((await w.describe(arn)).status).toBe('FAILED');
    expect((await w.store.getOrder('po-paid'))?.order.status).toBe('BALANCE_PAID');
    expect(await w.taken()).toBe(1);
    const types = w.publisher.events.map((e) => e.detailType);
    expect(types).not.toContain('PresaleOrderCancelled');
    // The compensation published the promise the failed step could not: the SLA work gets it.
    expect(types.filter((t) => t === 'PresaleFulfilmentPromised')).toHaveLength(1);
  });

  it('a forwarded balance whose PayBalance fails for good is taken by the compensation: the sale completes', async () => {
    const w = await setup();
    const arn = await w.start('po-pay-fails');
    await w.clock.advance(24 * HOUR);
    w.store.failNext.transition = 11;
    await w.answers.balancePaid(
      {
        orderId: 'po-pay-fails',
        amount: { amount: 400_000, currency: 'CNY' },
        paidAt: new Date(w.clock.now()).toISOString(),
      },
      'evt-balance-2',
    );
    await w.runWhile(async () => (await w.describe(arn)).status === 'RUNNING', 3 * 3600);

    expect(entered(await w.history(arn)).slice(-2)).toEqual(['PayBalance', 'Compensate']);
    expect((await w.store.getOrder('po-pay-fails'))?.order).toMatchObject({ status: 'BALANCE_PAID' });
    expect(await w.taken()).toBe(1);
    const types = w.publisher.events.map((e) => e.detailType);
    expect(types).toContain('PresaleFulfilmentPromised');
    expect(types).not.toContain('PresaleBalanceRefused');
  });

  it('a rejection whose event could not be published is published by the compensation', async () => {
    const w = await setup();
    await w.store.savePresale(
      { ...(await w.store.getPresale('ps-1'))!.presale, quota: 0 },
      1,
      new Date(T0).toISOString(),
    );
    w.publisher.failNext = 11;
    const arn = await w.start('po-sold-out');
    await w.runWhile(async () => (await w.describe(arn)).status === 'RUNNING', 3 * 3600);

    expect(entered(await w.history(arn))).toEqual(['TakeUnit', 'RecordRejection', 'Compensate']);
    expect((await w.store.getOrder('po-sold-out'))?.order).toMatchObject({
      status: 'REJECTED',
      reason: 'PresaleSoldOut',
      depositOutcome: 'refunded',
    });
    const rejected = w.publisher.events.filter((e) => e.detailType === 'PresaleDepositRejected');
    expect(rejected).toHaveLength(1);
  });

  it('a cancellation that arrives before the run parks still ends the run in CANCELLED', async () => {
    const w = await setup();
    // Park fails transiently once, so the cancellation lands while no token is stored.
    w.store.failNext.park = 1;
    const arn = await w.start('po-race');
    expect((await w.store.getOrder('po-race'))?.taskToken ?? null).toBeNull();
    const outcome = await w.answers.cancelled({
      orderId: 'po-race',
      reason: 'changed mind',
      cancelledAt: new Date(w.clock.now()).toISOString(),
    });
    expect(outcome).toEqual({ outcome: 'requested', interrupted: false });
    await w.runWhile(async () => (await w.describe(arn)).status === 'RUNNING', 600);

    expect((await w.describe(arn)).status).toBe('SUCCEEDED');
    expect(entered(await w.history(arn)).at(-1)).toBe('CancelOrder');
    expect((await w.store.getOrder('po-race'))?.order).toMatchObject({
      status: 'CANCELLED',
      cancelReason: 'changed mind',
    });
    expect(await w.taken()).toBe(0);
  });
});
