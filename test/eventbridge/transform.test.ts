/**
 * Target input: Input, InputPath and InputTransformer. The table rows are the examples of the EventBridge User Guide
 * ("Amazon EventBridge input transformation") and of the API Reference (`InputTransformer`), on the guide's EC2 event;
 * then what AWS answered where those pages are silent (recorded PutTargets answers and deliveries), and the
 * substitution rules both imply.
 */
import { describe, expect, it } from 'vitest';
import type { EventBridgeEvent } from '../../local/eventbridge/pattern.ts';
import {
  compileTargetInput,
  firstJsonValueError,
  parseEventPath,
  parseTemplate,
  payloadProblem,
  type RenderedInput,
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
const renderText = (inputTemplate: string) => render(inputTemplate).text;

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
    expect(render(template)).toEqual({ text: output });
  });

  it('Including reserved variables in JSON', () => {
    const out = renderText(
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
      // accepted by PutTargets ("null is in state null" starts with a JSON value), but what it renders is not JSON,
      // so AWS does not deliver it (INVALID_JSON, as the recorded `hello <value>`-like text templates below)
      name: 'a plain-text template renders raw text, which is not JSON',
      template: '<instance> is in state <status>',
      output: { text: 'i-0123456789 is in state RUNNING', problem: 'invalid' },
    },
    {
      name: 'escaped quotes',
      template: '"<instance> is in state \\"<status>\\""',
      output: { text: '"i-0123456789 is in state \\"RUNNING\\""' },
    },
    {
      name: 'valid JSON with variables in quotes or out',
      template: '{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<status>\\""}',
      output: { text: '{"myInstance": "i-0123456789","myStatus": "i-0123456789 is in state \\"RUNNING\\""}' },
    },
  ])('$name', ({ template, output }) => {
    expect(
      compileTargetInput({ inputTransformer: { inputPathsMap: paths, inputTemplate: template } })(event, ctx),
    ).toEqual(output);
  });
});

// --- What AWS answered ---------------------------------------------------------------------------------------------
//
// The documentation leaves open what a value becomes inside and outside quotes, what a missing path renders and
// which templates PutTargets refuses. These rows are AWS's answers to PutTargets on a custom bus and the SQS
// messages its targets and dead-letter queues then received (a recording of 94 cases against us-east-1,
// published as testdata/aws/eventbridge/inputs.json of github.com/radkawar/stackd, retrieved 2026-09-13), each
// named as recorded. A delivery the recording did not observe within 90 s is `problem: 'empty'` here.

/** The recorded probe event (its `case` field, which named the case, left out). */
const probe: EventBridgeEvent = {
  version: '0',
  id: 'fb42b945-8b7e-7a98-3070-558acd6048fc',
  'detail-type': 'input-probe',
  source: 'stackd-event-input-owned',
  account: '111111111111',
  time: '2026-01-02T03:04:05Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    text: 'hello',
    number: 42,
    flag: true,
    nothing: null,
    object: { first: 'one', second: 2 },
    array: ['one', 'two', { x: 3 }],
    items: [{ name: 'first' }, { name: 'second' }],
    'hyphen-key': 'dash',
    under_score: 'under',
    'slash/key': 'slash',
    'dot.key': 'dot',
    quoted: 'say "hello"',
    escaped: 'line\nslash\\tab\tend',
  },
};
const probeJson = JSON.stringify(probe);
const recordedCtx: TransformContext = {
  ruleArn: 'arn:aws:events:us-east-1:111111111111:rule/stackd-event-input-owned/case-066',
  ruleName: 'case-066',
  ingestionTime: '2026-09-13T12:17:30.408Z',
};

const tx = (inputTemplate: string, inputPathsMap?: Record<string, string>): TargetInputSpec => ({
  inputTransformer: { inputTemplate, ...(inputPathsMap ? { inputPathsMap } : {}) },
});
const v = (path: string) => ({ value: path });

describe('recorded AWS answers: what targets are sent', () => {
  const rows: [string, TargetInputSpec, RenderedInput][] = [
    ['original', {}, { text: probeJson }],
    ['input-object', { input: '{ "fixed": true }' }, { text: '{ "fixed": true }' }],
    ['input-array', { input: '[1,"two"]' }, { text: '[1,"two"]' }],
    ['input-string', { input: '"constant"' }, { text: '"constant"' }],
    ['input-number', { input: '17' }, { text: '17' }],
    ['input-null', { input: 'null' }, { text: 'null' }],
    ['input-empty (accepted, nothing delivered)', { input: '' }, { text: '', problem: 'empty' }],
    ['path-root', { inputPath: '$' }, { text: probeJson }],
    ['path-object', { inputPath: '$.detail.object' }, { text: '{"first":"one","second":2}' }],
    ['path-array', { inputPath: '$.detail.array' }, { text: '["one","two",{"x":3}]' }],
    ['path-string', { inputPath: '$.detail.text' }, { text: '"hello"' }],
    ['path-number', { inputPath: '$.detail.number' }, { text: '42' }],
    ['path-null', { inputPath: '$.detail.nothing' }, { text: '{}' }],
    ['path-missing', { inputPath: '$.detail.missing' }, { text: '{}' }],
    ['path-index', { inputPath: '$.detail.array[1]' }, { text: '"two"' }],
    ['path-nested-index', { inputPath: '$.detail.items[1].name' }, { text: '"second"' }],
    ['path-array-wildcard', { inputPath: '$.detail.items[*].name' }, { text: '["first","second"]' }],
    ['path-hyphen', { inputPath: '$.detail.hyphen-key' }, { text: '"dash"' }],
    ['path-underscore', { inputPath: '$.detail.under_score' }, { text: '"under"' }],
    ['path-slash', { inputPath: '$.detail.slash/key' }, { text: '"slash"' }],
    ['path-empty', { inputPath: '' }, { text: '{}' }],
    ['map-root', tx('{"value":<value>}', v('$')), { text: `{"value":${probeJson}}` }],
    ['map-missing', tx('{"value":<value>}', v('$.detail.missing')), { text: '{"value":""}' }],
    ['map-index', tx('{"value":<value>}', v('$.detail.array[1]')), { text: '{"value":"two"}' }],
    [
      'map-array-wildcard',
      tx('{"value":<value>}', v('$.detail.items[*].name')),
      { text: '{"value":["first","second"]}' },
    ],
    ['map-hyphen', tx('{"value":<value>}', v('$.detail.hyphen-key')), { text: '{"value":"dash"}' }],
    ['map-underscore', tx('{"value":<value>}', v('$.detail.under_score')), { text: '{"value":"under"}' }],
    ['map-slash', tx('{"value":<value>}', v('$.detail.slash/key')), { text: '{"value":"slash"}' }],
    [
      'typed-values',
      tx(
        '{"text":<text>,"number":<number>,"flag":<flag>,"nothing":<nothing>,"object":<object>,"array":<array>}',
        {
          text: '$.detail.text',
          number: '$.detail.number',
          flag: '$.detail.flag',
          nothing: '$.detail.nothing',
          object: '$.detail.object',
          array: '$.detail.array',
        },
      ),
      {
        text: '{"text":"hello","number":42,"flag":true,"nothing":null,"object":{"first":"one","second":2},"array":["one","two",{"x":3}]}',
      },
    ],
    [
      'quoted-values (an object or array inside quotes keeps its own quotes: not JSON)',
      tx('{"text":"<text>","number":"<number>","object":"<object>","array":"<array>"}', {
        text: '$.detail.text',
        number: '$.detail.number',
        object: '$.detail.object',
        array: '$.detail.array',
      }),
      {
        text: '{"text":"hello","number":"42","object":"{"first":"one","second":2}","array":"["one","two",{"x":3}]"}',
        problem: 'invalid',
      },
    ],
    [
      'embedded-values (a text template: objects and arrays lose their quotes)',
      tx('"text=<text>; object=<object>; array=<array>"', {
        text: '$.detail.text',
        object: '$.detail.object',
        array: '$.detail.array',
      }),
      { text: '"text=hello; object={first:one,second:2}; array=[one,two,{x:3}]"' },
    ],
    [
      'escaped-string',
      tx('{"value":<value>}', v('$.detail.escaped')),
      { text: '{"value":"line\\nslash\\\\tab\\tend"}' },
    ],
    ['quoted-string', tx('{"value":<value>}', v('$.detail.quoted')), { text: '{"value":"say \\"hello\\""}' }],
    [
      'embedded-quoted-string (a text template does not escape)',
      tx('"prefix <value> suffix"', v('$.detail.quoted')),
      { text: '"prefix say "hello" suffix"', problem: 'invalid' },
    ],
    [
      'escaped-template',
      tx('"prefix \\"<value>\\" suffix"', v('$.detail.text')),
      { text: '"prefix \\"hello\\" suffix"' },
    ],
    [
      'missing-string',
      tx('"before <missing> after"', { missing: '$.detail.missing' }),
      { text: '"before  after"' },
    ],
    [
      'missing-object',
      tx('{"before":1,"missing":<missing>,"after":2}', { missing: '$.detail.missing' }),
      { text: '{"before":1,"missing":"","after":2}' },
    ],
    [
      'missing-array (a text template: a missing value is nothing)',
      tx('[1,<missing>,2]', { missing: '$.detail.missing' }),
      { text: '[1,,2]', problem: 'invalid' },
    ],
    ['undefined-string', tx('"before <undefined> after"'), { text: '"before <undefined> after"' }],
    ['undefined-object', tx('{"value":<undefined>}'), { text: '{"value":<undefined>}', problem: 'invalid' }],
    [
      'standalone-object',
      tx('<value>', v('$.detail.object')),
      { text: '{first:one,second:2}', problem: 'invalid' },
    ],
    ['standalone-string', tx('<value>', v('$.detail.text')), { text: 'hello', problem: 'invalid' }],
    [
      'template-multiline',
      tx('"first <value>"\n"second <value>"', v('$.detail.text')),
      { text: '"first hello"\n"second hello"' },
    ],
    ['template-null', tx('null'), { text: 'null' }],
    ['template-array', tx('["fixed",<value>]', v('$.detail.number')), { text: '["fixed",42]' }],
    [
      'reserved',
      tx(
        '{"name":<aws.events.rule-name>,"arn":<aws.events.rule-arn>,"ingested":<aws.events.event.ingestion-time>,"event":<aws.events.event>,"full":<aws.events.event.json>}',
      ),
      {
        text: `{"name":"case-066","arn":"${recordedCtx.ruleArn}","ingested":"2026-09-13T12:17:30.408Z","event":{"id":"fb42b945-8b7e-7a98-3070-558acd6048fc","account":"111111111111","detailType":"input-probe","time":1767323045000,"source":"stackd-event-input-owned","region":"us-east-1","resources":[],"version":"0"},"full":${probeJson}}`,
      },
    ],
    [
      'reserved-string',
      tx('"<aws.events.rule-name> triggered <aws.events.rule-arn>"'),
      { text: `"case-066 triggered ${recordedCtx.ruleArn}"` },
    ],
    [
      'reserved-unknown',
      tx('{"value":<aws.events.unknown>}'),
      { text: '{"value":<aws.events.unknown>}', problem: 'invalid' },
    ],
    [
      'structured-embedded-object',
      tx('{"value":"prefix <value> suffix"}', v('$.detail.object')),
      { text: '{"value":"prefix {"first":"one","second":2} suffix"}', problem: 'invalid' },
    ],
    [
      'structured-missing-array (a JSON template: a missing value is "")',
      tx('{"value":[<missing>]}', { missing: '$.detail.missing' }),
      { text: '{"value":[""]}' },
    ],
    [
      'root-array-missing-object',
      tx('[{"value":<missing>}]', { missing: '$.detail.missing' }),
      { text: '[{"value":}]', problem: 'invalid' },
    ],
    [
      'structured-embedded-quoted (a JSON template escapes inside quotes)',
      tx('{"value":"prefix <value> suffix"}', v('$.detail.quoted')),
      { text: '{"value":"prefix say \\"hello\\" suffix"}' },
    ],
    [
      'structured-embedded-escaped',
      tx('{"value":"prefix <value> suffix"}', v('$.detail.escaped')),
      { text: '{"value":"prefix line\\nslash\\\\tab\\tend suffix"}' },
    ],
    [
      'root-embedded-escaped',
      tx('"prefix <value> suffix"', v('$.detail.escaped')),
      { text: '"prefix line\nslash\\tab\tend suffix"', problem: 'invalid' },
    ],
    ['root-array-typed-text', tx('[<value>]', v('$.detail.text')), { text: '[hello]', problem: 'invalid' }],
    [
      'root-array-typed-object',
      tx('[<value>]', v('$.detail.object')),
      { text: '[{first:one,second:2}]', problem: 'invalid' },
    ],
    [
      'root-array-typed-array',
      tx('[<value>]', v('$.detail.array')),
      { text: '[[one,two,{x:3}]]', problem: 'invalid' },
    ],
    ['root-array-typed-nothing', tx('[<value>]', v('$.detail.nothing')), { text: '[null]' }],
    ['root-bare-typed-number', tx('<value>', v('$.detail.number')), { text: '42' }],
    ['root-bare-typed-nothing', tx('<value>', v('$.detail.nothing')), { text: 'null' }],
    [
      'root-bare-typed-missing (nothing delivered)',
      tx('<value>', v('$.detail.missing')),
      { text: '', problem: 'empty' },
    ],
  ];
  it.each(rows)('%s', (_name, spec, expected) => {
    expect(compileTargetInput(spec)(probe, recordedCtx)).toEqual(expected);
  });
});

describe('recorded AWS answers: what PutTargets refuses (ValidationException)', () => {
  const pathInvalid = 'InputPath for target target is invalid.';
  const onlyOne = 'Only one of Input, InputPath, or InputTransformer must be provided for target target.';
  const eventJson =
    'InputTemplate for target target contains placeholder aws.events.event.json valid only for JSON template.';
  const rows: [string, TargetInputSpec, string][] = [
    [
      'input-invalid',
      { input: 'not-json' },
      'JSON syntax error in input for target target: [Source: (String)"not-json"; line: 1, column: 1]',
    ],
    ['path-object-wildcard', { inputPath: '$.detail.object.*' }, pathInvalid],
    ['path-bracket-single', { inputPath: "$['detail']['text']" }, pathInvalid],
    ['path-bracket-double', { inputPath: '$["detail"]["text"]' }, pathInvalid],
    ['path-bracket-dot-key', { inputPath: "$.detail['dot.key']" }, pathInvalid],
    ['path-recursive', { inputPath: '$..text' }, pathInvalid],
    ['path-negative-index', { inputPath: '$.detail.array[-1]' }, pathInvalid],
    ['path-slice', { inputPath: '$.detail.array[0:2]' }, pathInvalid],
    ['path-invalid-root', { inputPath: 'detail.text' }, pathInvalid],
    ['map-object-wildcard', tx('{"value":<value>}', v('$.detail.object.*')), pathInvalid],
    ['map-bracket-single', tx('{"value":<value>}', v("$['detail']['text']")), pathInvalid],
    ['map-bracket-double', tx('{"value":<value>}', v('$["detail"]["text"]')), pathInvalid],
    ['map-bracket-dot-key', tx('{"value":<value>}', v("$.detail['dot.key']")), pathInvalid],
    ['map-recursive', tx('{"value":<value>}', v('$..text')), pathInvalid],
    ['map-negative-index', tx('{"value":<value>}', v('$.detail.array[-1]')), pathInvalid],
    ['map-slice', tx('{"value":<value>}', v('$.detail.array[0:2]')), pathInvalid],
    ['map-invalid-root', tx('{"value":<value>}', v('detail.text')), pathInvalid],
    ['map-empty', tx('{"value":<value>}', v('')), pathInvalid],
    [
      'placeholder-key',
      tx('{"<key>":"value"}', { key: '$.detail.text' }),
      'InputTemplate placeholder present as a JSON object key for target target.',
    ],
    [
      'template-plain',
      tx('hello <value>', v('$.detail.text')),
      'Invalid InputTemplate for target target : [Source: (String)"hello null"; line: 1, column: 1].',
    ],
    [
      'undefined-beside-map (LocalStack test_put_events_with_input_transformer_missing_keys)',
      tx('"Event of <detail-type> type, with not defined key <notdefinedkey>"', {
        'detail-type': '$.detail-type',
      }),
      'InputTemplate for target target contains invalid placeholder notdefinedkey.',
    ],
    ['reserved-event-string', tx('"event <aws.events.event.json>"'), eventJson],
    ['reserved-root-event', tx('<aws.events.event.json>', {}), eventJson],
    ['reserved-array-event', tx('[<aws.events.event.json>]', {}), eventJson],
    ['input-and-path', { input: '{}', inputPath: '$.detail' }, onlyOne],
    ['input-and-transformer', { input: '{}', inputTransformer: { inputTemplate: '{}' } }, onlyOne],
    ['path-and-transformer', { inputPath: '$.detail', inputTransformer: { inputTemplate: '{}' } }, onlyOne],
    [
      'all-input-options',
      { input: '{}', inputPath: '$.detail', inputTransformer: { inputTemplate: '{}' } },
      onlyOne,
    ],
  ];
  it.each(rows)('%s', (_name, spec, message) => {
    expect(() => compileTargetInput(spec, 'target')).toThrow(new TransformError(message));
  });

  it('names the target in the message', () => {
    expect(() => compileTargetInput({ inputPath: '$..x' }, 'my-target')).toThrow(
      'InputPath for target my-target is invalid.',
    );
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
  };
  it.each([
    { name: 'number outside quotes', template: '{"n": <n>}', output: '{"n": 42}' },
    { name: 'number inside quotes', template: '"n=<n>"', output: '"n=42"' },
    { name: 'boolean and null in a text template', template: '[<flag>, <nothing>]', output: '[false, null]' },
    { name: 'boolean and null inside quotes', template: '"<flag>/<nothing>"', output: '"false/null"' },
    {
      name: 'object outside quotes is JSON',
      template: '{"o": <order>}',
      output: '{"o": {"id":"o-1","total":12.5}}',
    },
    { name: 'wildcard path yields an array', template: '{"skus": <skus>}', output: '{"skus": ["A","B"]}' },
    { name: 'array index', template: '"<first>"', output: '"A"' },
    {
      name: 'index into a top-level array',
      template: '{"r": <resource>}',
      output: `{"r": "${ec2.resources[0]}"}`,
    },
    { name: 'path with a slash', template: '{"s": <slash>}', output: '{"s": "ok"}' },
    {
      name: 'missing path in a JSON template, inside quotes',
      template: '{"m": "a<missing>b"}',
      output: '{"m": "ab"}',
    },
    {
      name: 'a JSON template escapes a string inside quotes',
      template: '{"q": "<quote>!"}',
      output: '{"q": "say \\"hi\\"!"}',
    },
    {
      // An unknown `<placeholder>` beside an InputPathsMap is refused by PutTargets (recorded, see the refusals
      // above); without a map it stays as written (recorded: undefined-string).
      name: 'a lone < is text',
      template: '"a < b and c<d"',
      output: '"a < b and c<d"',
    },
    {
      name: 'ingestion time',
      template: '{"at": <aws.events.event.ingestion-time>}',
      output: `{"at": "${ctx.ingestionTime}"}`,
    },
    {
      name: 'an escaped quote does not end a string',
      template: '{"a": "x\\"<n>\\"", "b": <n>}',
      output: '{"a": "x\\"42\\"", "b": 42}',
    },
  ])('$name', ({ template, output }) => {
    expect(render(template, paths, event)).toEqual({ text: output });
  });

  it('renderTemplate leaves names the resolver does not know untouched', () => {
    expect(renderTemplate('<a> <b>', (n) => (n === 'a' ? { value: 1 } : undefined))).toBe('1 <b>');
  });

  it('parseTemplate tells object keys and strings apart', () => {
    const parts = parseTemplate('{"<k>": <v>, "a": ["<w>", {"<x>": 1}]}').parts.filter(
      (p) => typeof p !== 'string',
    );
    expect(parts).toEqual([
      { name: 'k', inString: true, isKey: true },
      { name: 'v', inString: false, isKey: false },
      { name: 'w', inString: true, isKey: false },
      { name: 'x', inString: true, isKey: true },
    ]);
  });
});

describe('JSON checks', () => {
  it('firstJsonValueError reads one value, as Jackson readTree does', () => {
    expect(firstJsonValueError('{"a": 1} trailing')).toBeUndefined();
    expect(firstJsonValueError('null is in state null')).toBeUndefined();
    expect(firstJsonValueError('   ')).toBeUndefined();
    expect(firstJsonValueError('{"a": tru}')).toBe('[Source: (String)"{"a": tru}"; line: 1, column: 7]');
    expect(firstJsonValueError('[1,\n x]')).toBe('[Source: (String)"[1,\n x]"; line: 2, column: 2]');
  });
  it('payloadProblem wants a sequence of JSON values', () => {
    expect(payloadProblem('{"a":1}')).toBeUndefined();
    expect(payloadProblem('"a"\n"b"')).toBeUndefined();
    expect(payloadProblem(' \n')).toBe('empty');
    expect(payloadProblem('"a" b')).toBe('invalid');
    expect(payloadProblem('"tab\there"')).toBe('invalid');
    expect(payloadProblem('01')).toBe('invalid');
  });
});

describe('Input and InputPath', () => {
  it('Input is passed as-is', () => {
    const text = '{ "constant": [1, 2] }';
    expect(compileTargetInput({ input: text })(ec2, ctx)).toEqual({ text });
  });
  it('InputPath selects part of the event', () => {
    expect(JSON.parse(compileTargetInput({ inputPath: '$.detail' })(ec2, ctx).text)).toEqual(ec2.detail);
    expect(compileTargetInput({ inputPath: '$.detail.state' })(ec2, ctx)).toEqual({ text: '"RUNNING"' });
  });
  it('no input settings: the whole event', () => {
    expect(JSON.parse(compileTargetInput({})(ec2, ctx).text)).toEqual(ec2);
  });
});

describe('JSON paths', () => {
  it('parses dot, index and wildcard segments', () => {
    expect(parseEventPath('$.a.b-c[2][*].d_e/f')?.segments).toEqual([
      { k: 'name', name: 'a' },
      { k: 'name', name: 'b-c' },
      { k: 'index', i: 2 },
      { k: 'wild' },
      { k: 'name', name: 'd_e/f' },
    ]);
    expect(parseEventPath('$.a b')).toBeUndefined();
  });
  it('reads definite paths, reporting misses', () => {
    const data = { a: [{ b: 1 }, { b: 2 }], c: null };
    const read = (p: string) => readEventPath(parseEventPath(p)!, data);
    expect(read('$.a[1].b')).toEqual({ found: true, value: 2 });
    expect(read('$.c')).toEqual({ found: true, value: null });
    expect(read('$.a[5].b')).toEqual({ found: false });
    expect(read('$.a[*].b')).toEqual({ found: true, value: [1, 2] });
    expect(read('$.x[*]')).toEqual({ found: true, value: [] });
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
