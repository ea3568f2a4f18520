/**
 * Issue #15, fifth round: a Distributed Map's ItemBatcher, as the Developer Guide's "ItemBatcher
 * (Map)" page describes it (docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html):
 * with batching, Step Functions "adds the items to an Items array" and passes it as the input of each
 * child workflow execution; BatchInput is "a fixed JSON input to include in each batch"
 * (`{"BatchInput": …, "Items": […]}`); MaxItemsPerBatch(Path) caps the items, MaxInputBytesPerBatch
 * (up to 256 KiB) the size of the child's input. Before this round the engine ignored the field and
 * ran one child per item. Every case runs through @aws-sdk/client-sfn against the engine's HTTP API.
 */
import { CreateStateMachineCommand, DescribeMapRunCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SdkHarness, SdkRun } from './sdk.ts';
import { sdkHarness } from './sdk.ts';

let h: SdkHarness;
beforeAll(async () => {
  h = await sdkHarness();
});
afterAll(async () => {
  await h.close();
});

const DISTRIBUTED = { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' };
/** a child workflow that returns its input: the Map's result shows what each child received */
const echo = { ProcessorConfig: DISTRIBUTED, StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } };
const types = (r: SdkRun) => r.events.map((e) => e.type);
const mapRunArn = (r: SdkRun): string =>
  (r.events.find((e) => e.type === 'MapRunStarted') as { mapRunStartedEventDetails: { mapRunArn: string } })
    .mapRunStartedEventDetails.mapRunArn;

describe('issue #15: ItemBatcher on a Distributed Map, through @aws-sdk/client-sfn', () => {
  it('MaxItemsPerBatch: each child receives {"Items": [...]}, the last batch holds the rest', async () => {
    const r = await h.run(
      {
        StartAt: 'Batch',
        States: {
          Batch: {
            Type: 'Map',
            ItemsPath: '$.xs',
            ItemBatcher: { MaxItemsPerBatch: 2 },
            ItemProcessor: echo,
            End: true,
          },
        },
      },
      { xs: [{ verdict: 'true' }, { verdict: 'false' }, { verdict: 'true' }] },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual([
      { Items: [{ verdict: 'true' }, { verdict: 'false' }] },
      { Items: [{ verdict: 'true' }] },
    ]);
    // the Map Run's children stay out of the parent's history
    expect(types(r)).toEqual([
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapRunStarted',
      'MapRunSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ]);
    // DescribeMapRun: three items in two child executions
    const run = await h.client.send(new DescribeMapRunCommand({ mapRunArn: mapRunArn(r) }));
    expect(run.itemCounts).toMatchObject({ succeeded: 3, total: 3 });
    expect(run.executionCounts).toMatchObject({ succeeded: 2, total: 2 });
  });

  it('BatchInput (JSONPath: paths read the state input) sits beside Items in every batch', async () => {
    const r = await h.run(
      {
        StartAt: 'Batch',
        States: {
          Batch: {
            Type: 'Map',
            ItemsPath: '$.xs',
            ItemBatcher: {
              MaxItemsPerBatchPath: '$.size',
              BatchInput: { factCheck: 'December 2022', 'run.$': '$.run' },
            },
            ItemProcessor: echo,
            End: true,
          },
        },
      },
      { xs: [1, 2, 3], size: 3, run: 'r-1' },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual([{ BatchInput: { factCheck: 'December 2022', run: 'r-1' }, Items: [1, 2, 3] }]);
  });

  it('ItemSelector shapes each item (with its $$.Map.Item.Index) before it is batched', async () => {
    const r = await h.run(
      {
        StartAt: 'Batch',
        States: {
          Batch: {
            Type: 'Map',
            ItemsPath: '$.xs',
            ItemSelector: { 'sku.$': '$$.Map.Item.Value', 'at.$': '$$.Map.Item.Index' },
            ItemBatcher: { MaxItemsPerBatch: 2 },
            ItemProcessor: echo,
            End: true,
          },
        },
      },
      { xs: ['a', 'b', 'c'] },
    );
    expect(r.output).toEqual([
      {
        Items: [
          { sku: 'a', at: 0 },
          { sku: 'b', at: 1 },
        ],
      },
      { Items: [{ sku: 'c', at: 2 }] },
    ]);
  });

  it('MaxInputBytesPerBatch: a batch ends before the child input would exceed the size', async () => {
    // {"Items":["aaaa","bbbb"]} is 25 bytes; a third item would make it 32
    const r = await h.run(
      {
        StartAt: 'Batch',
        States: {
          Batch: {
            Type: 'Map',
            ItemsPath: '$.xs',
            ItemBatcher: { MaxInputBytesPerBatch: 25 },
            ItemProcessor: echo,
            End: true,
          },
        },
      },
      { xs: ['aaaa', 'bbbb', 'cccc'] },
    );
    expect(r.output).toEqual([{ Items: ['aaaa', 'bbbb'] }, { Items: ['cccc'] }]);
  });

  it('JSONata: MaxItemsPerBatch and BatchInput may be expressions', async () => {
    const r = await h.run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Batch',
        States: {
          Batch: {
            Type: 'Map',
            Items: '{% $states.input.xs %}',
            ItemBatcher: {
              MaxItemsPerBatch: '{% $states.input.n %}',
              BatchInput: { run: '{% $states.input.run %}' },
            },
            ItemProcessor: echo,
            End: true,
          },
        },
      },
      { xs: [1, 2, 3, 4, 5], n: 2, run: 'r-2' },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toEqual([
      { BatchInput: { run: 'r-2' }, Items: [1, 2] },
      { BatchInput: { run: 'r-2' }, Items: [3, 4] },
      { BatchInput: { run: 'r-2' }, Items: [5] },
    ]);
  });

  it('a MaxItemsPerBatchPath that is not a positive integer fails the state (States.Runtime)', async () => {
    const r = await h.run(
      {
        StartAt: 'Batch',
        States: {
          Batch: {
            Type: 'Map',
            ItemsPath: '$.xs',
            ItemBatcher: { MaxItemsPerBatchPath: '$.size' },
            ItemProcessor: echo,
            End: true,
          },
        },
      },
      { xs: [1], size: 0 },
    );
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.Runtime');
    expect(r.cause).toContain("Expected positive integer for MaxItemsPerBatch, got '0' instead.");
    expect(types(r)).toEqual(['ExecutionStarted', 'MapStateEntered', 'ExecutionFailed']);
  });

  it('the definition is refused without a batch limit, with a field and its Path, or over 256 KiB', async () => {
    const create = (ItemBatcher: object) =>
      h.client.send(
        new CreateStateMachineCommand({
          name: `batcher-${Math.random().toString(36).slice(2)}`,
          roleArn: 'arn:aws:iam::123456789012:role/test',
          definition: JSON.stringify({
            StartAt: 'Batch',
            States: { Batch: { Type: 'Map', ItemBatcher, ItemProcessor: echo, End: true } },
          }),
        }),
      );
    for (const bad of [
      {},
      { BatchInput: { a: 1 } },
      { MaxItemsPerBatch: 0 },
      { MaxItemsPerBatch: 2, MaxItemsPerBatchPath: '$.n' },
      { MaxInputBytesPerBatch: 262_145 },
    ]) {
      await expect(create(bad), JSON.stringify(bad)).rejects.toMatchObject({ name: 'InvalidDefinition' });
    }
    await expect(create({ MaxInputBytesPerBatch: 262_144 })).resolves.toBeDefined();
  });
});
