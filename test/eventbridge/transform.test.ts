/**
 * Target input: Input, InputPath and InputTransformer. The table rows are the examples of the EventBridge User Guide
 * ("Amazon EventBridge input transformation") and of the API Reference (`InputTransformer`), on the guide's EC2 event;
 * the other groups pin down the substitution rules those pages state.
 */
import { describe, expect, it } from 'vitest';
import type { EventBridgeEvent } from '../../local/eventbridge/pattern.ts';
import {
  compileTargetInput,
  parseEventPath,
  readEventPath,
  renderSchedulerInput,
  renderTemplate,
  type TargetInputSpec,
  type TransformContext,
  TransformError,
} from '../../local/eventbridge/transform.ts';

/** The guide's example event. */
const ec2: EventBridgeEvent = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING' },
};

const ctx: TransformContext = {
  ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
  ruleName: 'example',
  ingestionTime: '2015-11-11T21:29:55Z',
};

/** The guide's Input Path. */
const guidePaths = { timestamp: '$.time', instance: '$.detail.instance-id', state: '$.detail.state' };

const render = (inputTemplate: string, inputPathsMap: Record<string, string> = guidePaths, event = ec2) =>
  compileTargetInput({ inputTransformer: { inputPathsMap, inputTemplate } })(event, ctx);

describe('InputTransformer: the User Guide examples (EC2 event, Input Path timestamp/instance/state)', () => {
  const rows: { name: string; template: string; output: string }[] = [
    {
      name: 'Simple string',
      template: '"instance <instance> is in <state>"',
      output: '"instance i-0123456789 is in RUNNING"',
    },
    {
      name: 'String with escaped quotes',
      template: '"instance \\"<instance>\\" is in <state>"',
      output: '"instance \\"i-0123456789\\" is in RUNNING"',
    },
    {
      name: 'Simple JSON',
      template: '{\n  "instance" : <instance>,\n  "state": <state>\n}',
      output: '{\n  "instance" : "i-0123456789",\n  "state": "RUNNING"\n}',
    },
    {
      name: 'JSON with strings and variables',
      template:
        '{\n "instance" : <instance>,\n "state": "<state>",\n "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}',
      output:
        '{\n "instance" : "i-0123456789",\n "state": "RUNNING",\n "instanceStatus": "instance \\"i-0123456789\\" is in RUNNING"\n}',
    },
    {
      name: 'JSON with a mix of variables and static information',
      template: '{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}',
      output:
        '{\n  "instance" : "i-0123456789",\n  "state": [ 9, "RUNNING", true ],\n  "Transformed" : "Yes"\n}',
    },
    {
      name: 'Including reserved variables in a string',
      template: '"<aws.events.rule-name> triggered"',
      output: '"example triggered"',
    },
  ];
  it.each(rows)('$name', ({ template, output }) => {
    expect(render(template)).toBe(output);
  });

  it('Including reserved variables in JSON', () => {
    const out = render(
      '{\n  "instance" : <instance>,\n  "state": <state>,\n  "ruleArn" : <aws.events.rule-arn>,\n  "ruleName" : <aws.events.rule-name>,\n  "originalEvent" : <aws.events.event.json>\n}',
    );
    expect(JSON.parse(out)).toEqual({
      instance: 'i-0123456789',
      state: 'RUNNING',
      ruleArn: ctx.ruleArn,
      ruleName: 'example',
      originalEvent: ec2,
    });
  });
});

describe('InputTransformer: the API Reference examples (InputPathsMap instance/status)', () => {
  const paths = { instance: '$.detail.instance', status: '$.detail.status' };
  const event = { ...ec2, detail: { instance: 'i-0123456789', status: 'RUNNING' } };
  it.each([
    {
      name: 'a plain-text template: values outside quotes are JSON values, so strings come quoted',
      template: '<instance> is in state <status>',
      output: '"i-0123456789" is in state "RUNNING"',
    },
    {
      name: 'escaped quotes',
      template: '"<instance> is in state \\"<status>\\""',
      output: '"i-0123456789 is in state \\"RUNNING\\""',
    },
    {
      name: 'valid JSON with variables in quotes or out',
      template: '{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<status>\\""}',
      output: '{"myInstance": "i-0123456789","myStatus": "i-0123456789 is in state \\"RUNNING\\""}',
    },
  ])('$name', ({ template, output }) => {
    expect(render(template, paths, event)).toBe(output);
  });
});

describe('InputTransformer substitution rules', () => {
  const event: EventBridgeEvent = {
    ...ec2,
    detail: {
      n: 42,
      flag: false,
      nothing: null,
      order: { id: 'o-1', total: 12.5 },
      items: [
        { sku: 'A', qty: 1 },
        { sku: 'B', qty: 2 },
      ],
      quote: 'say "hi"',
      'with/slash': 'ok',
    },
  };
  const paths = {
    n: '$.detail.n',
    flag: '$.detail.flag',
    nothing: '$.detail.nothing',
    order: '$.detail.order',
    skus: '$.detail.items[*].sku',
    first: '$.detail.items[0].sku',
    missing: '$.detail.missing',
    quote: '$.detail.quote',
    slash: '$.detail.with/slash',
    resource: '$.resources[0]',
    dt: "$['detail-type']",
  };
  it.each([
    { name: 'number outside quotes', template: '{"n": <n>}', output: '{"n": 42}' },
    { name: 'number inside quotes', template: '"n=<n>"', output: '"n=42"' },
    { name: 'boolean and null outside quotes', template: '[<flag>, <nothing>]', output: '[false, null]' },
    { name: 'boolean and null inside quotes', template: '"<flag>/<nothing>"', output: '"false/null"' },
    {
      name: 'object outside quotes is JSON',
      template: '{"o": <order>}',
      output: '{"o": {"id":"o-1","total":12.5}}',
    },
    {
      name: 'object inside quotes loses its quotes',
      template: '"order is <order>"',
      output: '"order is {id:o-1,total:12.5}"',
    },
    { name: 'wildcard path yields an array', template: '{"skus": <skus>}', output: '{"skus": ["A","B"]}' },
    { name: 'array index', template: '"<first>"', output: '"A"' },
    { name: 'index into a top-level array', template: '<resource>', output: `"${ec2.resources[0]}"` },
    { name: 'bracket notation for a dashed name', template: '"<dt>"', output: `"${ec2['detail-type']}"` },
    { name: 'path with a slash', template: '<slash>', output: '"ok"' },
    { name: 'missing path: null outside quotes', template: '{"m": <missing>}', output: '{"m": null}' },
    { name: 'missing path: nothing inside quotes', template: '"a<missing>b"', output: '"ab"' },
    { name: 'values are not escaped inside quotes', template: '"<quote>"', output: '"say "hi""' },
    { name: 'outside quotes a string is a JSON string', template: '<quote>', output: '"say \\"hi\\""' },
    {
      name: 'unknown placeholders stay as written',
      template: '"<unknown> and a < b"',
      output: '"<unknown> and a < b"',
    },
    {
      name: 'ingestion time',
      template: '{"at": <aws.events.event.ingestion-time>}',
      output: `{"at": "${ctx.ingestionTime}"}`,
    },
    {
      name: 'a quote escaped outside a string does not open one',
      template: '"x\\\\" <n> "y"',
      output: '"x\\\\" 42 "y"',
    },
  ])('$name', ({ template, output }) => {
    expect(render(template, paths, event)).toBe(output);
  });

  it('aws.events.event is the event without detail', () => {
    const out = JSON.parse(render('{"e": <aws.events.event>}', {}, event)) as { e: Record<string, unknown> };
    const { detail: _d, ...rest } = event;
    expect(out.e).toEqual(rest);
  });

  it('renderTemplate leaves names the resolver does not know untouched', () => {
    expect(renderTemplate('<a> <b>', (n) => (n === 'a' ? { value: 1 } : undefined))).toBe('1 <b>');
  });
});

describe('Input and InputPath', () => {
  it('Input is passed as-is', () => {
    const text = '{ "constant": [1, 2] }';
    expect(compileTargetInput({ input: text })(ec2, ctx)).toBe(text);
  });
  it('InputPath selects part of the event', () => {
    expect(JSON.parse(compileTargetInput({ inputPath: '$.detail' })(ec2, ctx))).toEqual(ec2.detail);
    expect(compileTargetInput({ inputPath: '$.detail.state' })(ec2, ctx)).toBe('"RUNNING"');
    expect(JSON.parse(compileTargetInput({ inputPath: '$' })(ec2, ctx))).toEqual(ec2);
  });
  it('InputPath matching nothing is a transformation error', () => {
    const f = compileTargetInput({ inputPath: '$.detail.nope' });
    expect(() => f(ec2, ctx)).toThrow(TransformError);
  });
  it('no input settings: the whole event', () => {
    expect(JSON.parse(compileTargetInput({})(ec2, ctx))).toEqual(ec2);
  });
});

describe('configuration errors', () => {
  it.each<[string, TargetInputSpec]>([
    ['two input settings', { input: '{}', inputPath: '$.detail' }],
    ['Input that is not JSON', { input: 'not json' }],
    ['a path without $', { inputPath: 'detail' }],
    ['a malformed path', { inputPath: '$.detail[abc]' }],
    [
      'a reserved InputPathsMap key',
      { inputTransformer: { inputPathsMap: { 'aws.x': '$.id' }, inputTemplate: '<x>' } },
    ],
    ['an invalid key', { inputTransformer: { inputPathsMap: { 'a b': '$.id' }, inputTemplate: '<x>' } }],
    ['an empty template', { inputTransformer: { inputTemplate: '' } }],
    [
      'more than 100 keys',
      {
        inputTransformer: {
          inputPathsMap: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, '$.id'])),
          inputTemplate: '<k1>',
        },
      },
    ],
  ])('%s', (_name, spec) => {
    expect(() => compileTargetInput(spec)).toThrow(TransformError);
  });
});

describe('JSON paths', () => {
  it('parses dot, index, wildcard and bracket segments', () => {
    expect(parseEventPath("$.a.b-c[2].*['d e']").segments).toEqual([
      { k: 'name', name: 'a' },
      { k: 'name', name: 'b-c' },
      { k: 'index', i: 2 },
      { k: 'wild' },
      { k: 'name', name: 'd e' },
    ]);
  });
  it('reads definite paths, reporting misses', () => {
    const data = { a: [{ b: 1 }, { b: 2 }], c: null };
    expect(readEventPath(parseEventPath('$.a[1].b'), data)).toEqual({ found: true, value: 2 });
    expect(readEventPath(parseEventPath('$.c'), data)).toEqual({ found: true, value: null });
    expect(readEventPath(parseEventPath('$.a[5].b'), data)).toEqual({ found: false });
    expect(readEventPath(parseEventPath('$.a[*].b'), data)).toEqual({ found: true, value: [1, 2] });
    expect(readEventPath(parseEventPath('$.x[*]'), data)).toEqual({ found: true, value: [] });
  });
});

describe('EventBridge Scheduler context attributes', () => {
  it('substitutes the four keywords of the Scheduler guide', () => {
    const input =
      '{"MessageBody":"<aws.scheduler.scheduled-time>","arn":"<aws.scheduler.schedule-arn>","id":"<aws.scheduler.execution-id>","n":<aws.scheduler.attempt-number>}';
    expect(
      JSON.parse(
        renderSchedulerInput(input, {
          scheduleArn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/s',
          scheduledTime: '2022-03-22T18:59:43Z',
          executionId: 'd32c5kddcf5bb8c3',
          attemptNumber: 1,
        }),
      ),
    ).toEqual({
      MessageBody: '2022-03-22T18:59:43Z',
      arn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/s',
      id: 'd32c5kddcf5bb8c3',
      n: 1,
    });
  });
});
