/**
 * TestEventPattern through the AWS SDK (@aws-sdk/client-eventbridge against the local awsJson API): the request
 * EventBridge insists on, its answer for each comparison operator of the User Guide, and its errors, word for word.
 *
 * Sources, per group: the EventBridge User Guide pages "Content filtering in Amazon EventBridge event patterns"
 * (docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html and the content-filtering
 * page it replaced) and "Creating Amazon EventBridge event patterns" (eb-create-pattern.html), the API Reference
 * (API_TestEventPattern.html), and, where the pages say nothing of the wording, AWS's recorded answers to the same
 * requests (the InvalidEventPatternException messages below; LocalStack's AWS-validated snapshots in
 * tests/aws/services/events/ and the stackd recordings in testdata/aws/eventbridge/).
 */
import { TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, outcome, startApi } from './api-harness.ts';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

/** An event with the envelope TestEventPattern wants (no `resources`: AWS does not require it). */
const event = (detail: unknown, top: Record<string, unknown> = {}): Record<string, unknown> => ({
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2017-10-02T18:43:48Z',
  region: 'us-east-1',
  detail,
  ...top,
});

const test = (pattern: unknown, ev: unknown) =>
  outcome(
    api.client.send(
      new TestEventPatternCommand({
        EventPattern: typeof pattern === 'string' ? pattern : JSON.stringify(pattern),
        Event: typeof ev === 'string' ? ev : JSON.stringify(ev),
      }),
    ),
  );

const result = async (pattern: unknown, ev: unknown): Promise<boolean | string> => {
  const r = await test(pattern, ev);
  return r.ok ? (r.output.Result ?? false) : `${r.name}: ${r.message}`;
};

describe('TestEventPattern: what the event must hold', () => {
  // API Reference, TestEventPattern: "The event, in JSON format, to test against the event pattern. The JSON must
  // follow the format specified in AWS Events, and the following fields are mandatory: id, account, source, time,
  // region, resources, detail-type". AWS accepts an event without `resources` (recorded), and refuses one without
  // any other of them with "Parameter Event is not valid.".
  it('does not require resources', async () => {
    expect(await result({ source: ['aws.ec2'] }, event({}))).toBe(true);
  });
  it.each(['id', 'account', 'source', 'time', 'region', 'detail-type'])('requires %s', async (field) => {
    const ev = event({});
    delete ev[field];
    expect(await result({ source: ['aws.ec2'] }, ev)).toBe(
      'ValidationException: Parameter Event is not valid.',
    );
  });
  it('does not require detail or version', async () => {
    const ev = event({});
    delete ev.detail;
    delete ev.version;
    expect(await result({ source: ['aws.ec2'] }, ev)).toBe(true);
  });
  it('wants an RFC 3339 time', async () => {
    expect(await result({ source: ['aws.ec2'] }, event({}, { time: 'yesterday' }))).toBe(
      'ValidationException: Parameter Event is not valid. Reason: Invalid time.',
    );
  });
  it('wants a JSON object', async () => {
    expect(await result({ source: ['aws.ec2'] }, 'not json')).toBe(
      'ValidationException: Parameter Event is not valid.',
    );
    expect(await result({ source: ['aws.ec2'] }, '[]')).toBe(
      'ValidationException: Parameter Event is not valid.',
    );
  });
  it('reads the pattern first: an invalid pattern wins over an invalid event', async () => {
    expect(await result({ source: 'aws.ec2' }, 'not json')).toMatch(/^InvalidEventPatternException: /);
  });
  it('refuses a request without EventPattern or Event (model validation)', async () => {
    const noPattern = await outcome(api.client.send(new TestEventPatternCommand({ Event: '{}' } as never)));
    expect(noPattern).toMatchObject({
      ok: false,
      name: 'ValidationException',
      message:
        "1 validation error detected: Value null at 'eventPattern' failed to satisfy constraint: Member must not be null",
    });
    const noEvent = await outcome(
      api.client.send(new TestEventPatternCommand({ EventPattern: '{}' } as never)),
    );
    expect(noEvent).toMatchObject({
      ok: false,
      name: 'ValidationException',
      message:
        "1 validation error detected: Value null at 'event' failed to satisfy constraint: Member must not be null",
    });
  });
  it('refuses a pattern over 4096 characters (API Reference: "Maximum length of 4096")', async () => {
    const long = JSON.stringify({ source: ['x'.repeat(4100)] });
    expect(await result(long, event({}))).toMatch(
      /^ValidationException: 1 validation error detected: Value '.*' at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to 4096$/s,
    );
  });
});

interface Row {
  readonly name: string;
  readonly pattern: unknown;
  readonly event: Record<string, unknown>;
  readonly expected: boolean;
}
const row = (name: string, pattern: unknown, ev: Record<string, unknown>, expected: boolean): Row => ({
  name,
  pattern,
  event: ev,
  expected,
});

describe('TestEventPattern: the comparison operators of the User Guide', () => {
  const rows: Row[] = [
    // "Prefix matching ... the following event pattern would match any event where the "time" field started with
    // "2017-10-02" such as "time": "2017-10-02T18:43:48Z"."
    row('prefix', { time: [{ prefix: '2017-10-02' }] }, event({}), true),
    row(
      'prefix, another day',
      { time: [{ prefix: '2017-10-02' }] },
      event({}, { time: '2017-10-03T00:00:00Z' }),
      false,
    ),
    // "the following event pattern would match any event where the service field started with the character
    // string EventB, but also EVENTB, eventb, or any other capitalization of those characters."
    row(
      'prefix ignoring case',
      { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
      event({ service: 'eventbridge' }),
      true,
    ),
    row(
      'prefix ignoring case, another prefix',
      { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
      event({ service: 'lambda' }),
      false,
    ),
    // "the following event pattern would match any event where the "FileName" field ended with the .png file
    // extension."
    row('suffix', { detail: { FileName: [{ suffix: '.png' }] } }, event({ FileName: 'photo.png' }), true),
    row(
      'suffix is case-sensitive',
      { detail: { FileName: [{ suffix: '.png' }] } },
      event({ FileName: 'photo.PNG' }),
      false,
    ),
    // "would match any event where the FileName field ended with the string .png, but also .PNG"
    row(
      'suffix ignoring case',
      { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
      event({ FileName: 'photo.PNG' }),
      true,
    ),
    // "Anything-but matching matches anything except what's specified in the rule."
    row(
      'anything-but a string',
      { detail: { state: [{ 'anything-but': 'initializing' }] } },
      event({ state: 'running' }),
      true,
    ),
    row(
      'anything-but a string, that string',
      { detail: { state: [{ 'anything-but': 'initializing' }] } },
      event({ state: 'initializing' }),
      false,
    ),
    row(
      'anything-but a number',
      { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
      event({ 'x-limit': 456 }),
      true,
    ),
    row(
      'anything-but a number, that number',
      { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
      event({ 'x-limit': 123 }),
      false,
    ),
    row(
      'anything-but a list of strings',
      { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      event({ state: 'overloaded' }),
      false,
    ),
    row(
      'anything-but a list of numbers',
      { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      event({ 'x-limit': 150 }),
      true,
    ),
    // "Anything-but (begins with): Region is not in the US. "Region": [ { "anything-but": {"prefix": "us-" } } ]"
    row(
      'anything-but prefix',
      { detail: { Region: [{ 'anything-but': { prefix: 'us-' } }] } },
      event({ Region: 'us-east-1' }),
      false,
    ),
    row(
      'anything-but prefix, other',
      { detail: { Region: [{ 'anything-but': { prefix: 'us-' } }] } },
      event({ Region: 'eu-west-1' }),
      true,
    ),
    // "Anything-but (ends with): FileName does not end with a .png extension."
    row(
      'anything-but suffix',
      { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } },
      event({ FileName: 'a.png' }),
      false,
    ),
    row(
      'anything-but suffix, other',
      { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } },
      event({ FileName: 'a.txt' }),
      true,
    ),
    // "Anything-but (ignore case): State is any value besides "initializing" or any other casing variation"
    row(
      'anything-but ignoring case',
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } },
      event({ state: 'INITIALIZING' }),
      false,
    ),
    row(
      'anything-but ignoring case, a list',
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } },
      event({ state: 'running' }),
      true,
    ),
    // "Anything-but using a wildcard: FileName is not a file path that includes /lib/."
    row(
      'anything-but wildcard',
      { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
      event({ FilePath: '/usr/lib/libc.so' }),
      false,
    ),
    row(
      'anything-but wildcard, other',
      { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
      event({ FilePath: '/usr/bin/ls' }),
      true,
    ),
    // "Numeric matching ... "c-count": [ { "numeric": [ ">", 0, "<=", 5 ] } ]"
    row(
      'numeric range, inside',
      { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
      event({ 'c-count': 5 }),
      true,
    ),
    row(
      'numeric range, lower bound excluded',
      { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
      event({ 'c-count': 0 }),
      false,
    ),
    row(
      'numeric equality with an exponent',
      { detail: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } },
      event({ 'x-limit': 301.8 }),
      true,
    ),
    row(
      'numeric matching does not read strings',
      { detail: { 'c-count': [{ numeric: ['>', 0] }] } },
      event({ 'c-count': '5' }),
      false,
    ),
    // "IP address matching ... "sourceIPAddress": [ { "cidr": "10.0.0.0/24" } ]" (and the IPv6 example)
    row(
      'cidr IPv4',
      { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      event({ sourceIPAddress: '10.0.0.255' }),
      true,
    ),
    row(
      'cidr IPv4, outside',
      { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      event({ sourceIPAddress: '10.0.1.0' }),
      false,
    ),
    row(
      'cidr IPv6',
      { detail: { sourceIPAddress: [{ cidr: '2001:db8:1234:1a00::/64' }] } },
      event({ sourceIPAddress: '2001:db8:1234:1a00::1' }),
      true,
    ),
    // "Exists matching ... "detail": { "c-count": [ { "exists": true } ] }" / "exists": false
    row('exists true', { detail: { 'c-count': [{ exists: true }] } }, event({ 'c-count': 3 }), true),
    row('exists true, absent', { detail: { 'c-count': [{ exists: true }] } }, event({ other: 3 }), false),
    row('exists false, absent', { detail: { 'c-count': [{ exists: false }] } }, event({ other: 3 }), true),
    row(
      'exists false, present',
      { detail: { 'c-count': [{ exists: false }] } },
      event({ 'c-count': 3 }),
      false,
    ),
    // "Exists matching only works on leaf nodes. It does not work on intermediate nodes." An array's values are
    // its leaves: an empty array has none, so the field does not exist.
    row(
      'exists true on an intermediate node',
      { detail: { state: [{ exists: true }] } },
      event({ state: { x: 1 } }),
      false,
    ),
    row(
      'exists false on an empty array',
      { detail: { tags: [{ exists: false }] } },
      event({ tags: [] }),
      true,
    ),
    row(
      'exists true on an empty array',
      { detail: { tags: [{ exists: true }] } },
      event({ tags: [] }),
      false,
    ),
    row(
      'exists true on an array of values',
      { detail: { tags: [{ exists: true }] } },
      event({ tags: ['a'] }),
      true,
    ),
    // "Equals-ignore-case matching ... "detail-type": [ { "equals-ignore-case": "ec2 instance state-change
    // notification" } ]"
    row(
      'equals-ignore-case',
      { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
      event({}),
      true,
    ),
    // "Wildcard matching ... "EventBusArn": [ { "wildcard": "arn:aws:events:us-east-1:*:event-bus/*" } ]"
    row(
      'wildcard',
      { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
      event({}, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/shop' }),
      true,
    ),
    row(
      'wildcard, another region',
      { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
      event({}, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/shop' }),
      false,
    ),
    // "Multiple matching ... $or": one of the alternatives is enough
    row(
      '$or',
      {
        detail: {
          $or: [
            { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
            { 'd-count': [{ numeric: ['<', 10] }] },
            { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
          ],
        },
      },
      event({ 'c-count': 9, 'd-count': 3 }),
      true,
    ),
    row(
      '$or, none',
      {
        detail: {
          $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }],
        },
      },
      event({ 'c-count': 9, 'd-count': 30 }),
      false,
    ),
    // "Creating event patterns", arrays: "If the value in the event is an array, then the event pattern matches if
    // the intersection of the event pattern array and the event array is non-empty."
    row(
      'an event array matches when it shares a value',
      { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'] },
      event({}, { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f', 'arn:other'] }),
      true,
    ),
    row('an empty event array matches nothing', { detail: { tags: ['a'] } }, event({ tags: [] }), false),
    // "Null values and empty strings ... "responseElements": [null] ... "eventVersion": [""] ... null values and
    // empty strings are not interchangeable"
    row(
      'null matches null',
      { detail: { responseElements: [null] } },
      event({ responseElements: null }),
      true,
    ),
    row('null does not match a missing field', { detail: { responseElements: [null] } }, event({}), false),
    row(
      'null does not match ""',
      { detail: { responseElements: [null] } },
      event({ responseElements: '' }),
      false,
    ),
    row('"" matches ""', { detail: { eventVersion: [''] } }, event({ eventVersion: '' }), true),
    // "Event patterns ... the fields are matched on their values: 1 and "1" are different values (recorded)"
    row('a number does not match its string', { detail: { v: [1] } }, event({ v: '1' }), false),
    // A field named with a dot is the path it spells: {"a.b": ...} is {"a": {"b": ...}} (Event Ruler joins
    // field names with "."), in the pattern as in the event.
    row('a dotted key in the pattern', { 'detail.state': ['running'] }, event({ state: 'running' }), true),
    row('a dotted key in the event', { detail: { a: { b: [1] } } }, event({ 'a.b': 1 }), true),
  ];
  it.each(rows)('$name', async ({ pattern, event: ev, expected }) => {
    expect(await result(pattern, ev)).toBe(expected);
  });
});

describe("TestEventPattern: AWS's InvalidEventPatternException messages", () => {
  // The messages AWS returned for these patterns (recorded), Jackson's location of the failing token included.
  const cases: [string, string][] = [
    [
      '{"int": 42}',
      'Event pattern is not valid. Reason: "int" must be an object or an array\n at [Source: (String)"{"int": 42}"; line: 1, column: 11]',
    ],
    [
      '{"detail": {"equal": [{"NUMERIC": ["=", 5]}]}}',
      'Event pattern is not valid. Reason: Unrecognized match type NUMERIC\n at [Source: (String)"{"detail": {"equal": [{"NUMERIC": ["=", 5]}]}}"; line: 1, column: 36]',
    ],
    [
      '{"string": "my-value"}',
      'Event pattern is not valid. Reason: "string" must be an object or an array\n at [Source: (String)"{"string": "my-value"}"; line: 1, column: 13]',
    ],
    [
      '{"resources": []}',
      'Event pattern is not valid. Reason: Empty arrays are not allowed\n at [Source: (String)"{"resources": []}"; line: 1, column: 17]',
    ],
    [
      '{"my_key": [{"EXISTS": true}]}',
      'Event pattern is not valid. Reason: Unrecognized match type EXISTS\n at [Source: (String)"{"my_key": [{"EXISTS": true}]}"; line: 1, column: 28]',
    ],
    [
      '{"detail": {"c-count": [{"numeric": [">", 0, ">", 0]}]}}',
      'Event pattern is not valid. Reason: Bad numeric range operator: >\n at [Source: (String)"{"detail": {"c-count": [{"numeric": [">", 0, ">", 0]}]}}"; line: 1, column: 49]',
    ],
    [
      '{"detail": {"c-count": [{"numeric": [">", 0, "<"]}]}}',
      'Event pattern is not valid. Reason: Value of < must be numeric\n at [Source: (String)"{"detail": {"c-count": [{"numeric": [">", 0, "<"]}]}}"; line: 1, column: 50]',
    ],
    [
      '{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]}',
      'Event pattern is not valid. Reason: Consecutive wildcard characters at pos 26\n at [Source: (String)"{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]}"; line: 1, column: 72]',
    ],
    [
      '{"detail-type": [{"equals-ignore-case": ["ec2 instance state-change notification"]}]}',
      'Event pattern is not valid. Reason: equals-ignore-case match pattern must be a string\n at [Source: (String)"{"detail-type": [{"equals-ignore-case": ["ec2 instance state-change notification"]}]}"; line: 1, column: 42]',
    ],
    [
      '{"sourceIPAddress": [{"cidr": "bad-type"}]}',
      "Event pattern is not valid. Reason: Malformed CIDR, one '/' required",
    ],
    [
      '{"detail": {"state": [{"anything-but": {"equals-ignore-case": 123}}]}}',
      'Event pattern is not valid. Reason: Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.\n at [Source: (String)"{"detail": {"state": [{"anything-but": {"equals-ignore-case": 123}}]}}"; line: 1, column: 66]',
    ],
    [
      '{"detail": {"state": [{"anything-but": {"equals-ignore-case": [123, 456]}}]}}',
      'Event pattern is not valid. Reason: Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.\n at [Source: (String)"{"detail": {"state": [{"anything-but": {"equals-ignore-case": [123, 456]}}]}}"; line: 1, column: 67]\n at [Source: (String)"{"detail": {"state": [{"anything-but": {"equals-ignore-case": [123, 456]}}]}}"; line: 1, column: 67]',
    ],
    [
      '{"detail-type": [{"equals-ignore-case": {"prefix": "ec2"}}]}',
      'Event pattern is not valid. Reason: equals-ignore-case match pattern must be a string\n at [Source: (String)"{"detail-type": [{"equals-ignore-case": {"prefix": "ec2"}}]}"; line: 1, column: 42]',
    ],
    [
      'this is valid json but not a dict',
      `Event pattern is not valid. Reason: Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)"this is valid json but not a dict"; line: 1, column: 5]`,
    ],
    [
      "{'bad': 'quotation'}",
      `Event pattern is not valid. Reason: Unexpected character (''' (code 39)): was expecting double-quote to start field name\n at [Source: (String)"{'bad': 'quotation'}"; line: 1, column: 2]`,
    ],
    [
      '{"not": closed mark"',
      `Event pattern is not valid. Reason: Unrecognized token 'closed': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)"{"not": closed mark""; line: 1, column: 15]`,
    ],
    [
      '["not", "a", "dict", "but valid json"]',
      'Event pattern is not valid. Reason: Filter is not an object\n at [Source: (String)"["not", "a", "dict", "but valid json"]"; line: 1, column: 2]',
    ],
    [
      '{"EventBusArn": [{"wildcard": 123}]}',
      'Event pattern is not valid. Reason: wildcard match pattern must be a string\n at [Source: (String)"{"EventBusArn": [{"wildcard": 123}]}"; line: 1, column: 34]',
    ],
    [
      '{"EventBusArn": [{"wildcard": ["arn:*"]}]}',
      'Event pattern is not valid. Reason: wildcard match pattern must be a string\n at [Source: (String)"{"EventBusArn": [{"wildcard": ["arn:*"]}]}"; line: 1, column: 32]',
    ],
    [
      '{"detail": {"state": [{"anything-but": {"wildcard": [123, "*/dir/*"]}}]}}',
      'Event pattern is not valid. Reason: wildcard match pattern must be a string\n at [Source: (String)"{"detail": {"state": [{"anything-but": {"wildcard": [123, "*/dir/*"]}}]}}"; line: 1, column: 57]\n at [Source: (String)"{"detail": {"state": [{"anything-but": {"wildcard": [123, "*/dir/*"]}}]}}"; line: 1, column: 57]',
    ],
    [
      '{"detail": {"FilePath": [{"anything-but": {"wildcard": 123}}]}}',
      'Event pattern is not valid. Reason: wildcard match pattern must be a string\n at [Source: (String)"{"detail": {"FilePath": [{"anything-but": {"wildcard": 123}}]}}"; line: 1, column: 59]',
    ],
    [
      '{"detail": {"FileName": [{"anything-but": {"suffix": [123, ".txt"]}}]}}',
      'Event pattern is not valid. Reason: prefix/suffix match pattern must be a string\n at [Source: (String)"{"detail": {"FileName": [{"anything-but": {"suffix": [123, ".txt"]}}]}}"; line: 1, column: 58]\n at [Source: (String)"{"detail": {"FileName": [{"anything-but": {"suffix": [123, ".txt"]}}]}}"; line: 1, column: 58]',
    ],
    [
      '{"detail": {"FileName": [{"anything-but": {"suffix": 123}}]}}',
      'Event pattern is not valid. Reason: prefix/suffix match pattern must be a string\n at [Source: (String)"{"detail": {"FileName": [{"anything-but": {"suffix": 123}}]}}"; line: 1, column: 57]',
    ],
    [
      '{"detail": {"state": [{"anything-but": {"prefix": 123}}]}}',
      'Event pattern is not valid. Reason: prefix/suffix match pattern must be a string\n at [Source: (String)"{"detail": {"state": [{"anything-but": {"prefix": 123}}]}}"; line: 1, column: 54]',
    ],
    [
      '{"time": [{"prefix": ["2022-07-13"]}]}',
      'Event pattern is not valid. Reason: prefix match pattern must be a string\n at [Source: (String)"{"time": [{"prefix": ["2022-07-13"]}]}"; line: 1, column: 23]',
    ],
    [
      '{"time": [{"prefix": 123}]}',
      'Event pattern is not valid. Reason: prefix match pattern must be a string\n at [Source: (String)"{"time": [{"prefix": 123}]}"; line: 1, column: 25]',
    ],
    [
      '{"FileName": [{"suffix": 123}]}',
      'Event pattern is not valid. Reason: suffix match pattern must be a string\n at [Source: (String)"{"FileName": [{"suffix": 123}]}"; line: 1, column: 29]',
    ],
    [
      '{"FileName": [{"suffix": [".png"]}]}',
      'Event pattern is not valid. Reason: suffix match pattern must be a string\n at [Source: (String)"{"FileName": [{"suffix": [".png"]}]}"; line: 1, column: 27]',
    ],
    [
      '{"detail": {"FileName": [{"anything-but": {"prefix": {"equals-ignore-case": "file"}}}]}}',
      'Event pattern is not valid. Reason: Value of anything-but must be an array or single string/number value.\n at [Source: (String)"{"detail": {"FileName": [{"anything-but": {"prefix": {"equals-ignore-case": "file"}}}]}}"; line: 1, column: 55]',
    ],
    [
      '{"detail": {"ip": [{"cidr": "10.0.0.0/abc"}]}}',
      'Event pattern is not valid. Reason: Malformed CIDR, mask bits must be an integer',
    ],
    [
      '{"detail": {"ip": [{"cidr": "xx.11.xx/8"}]}}',
      'Event pattern is not valid. Reason: Nonstandard IP address: xx.11.xx',
    ],
    [
      '{"detail": {"ip": [{"cidr": "xxxx:db8:1234:1a00::/64"}]}}',
      'Event pattern is not valid. Reason: Nonstandard IP address: xxxx:db8:1234:1a00::',
    ],
    [
      '{"detail": {"sourceIPAddress": [{"cidr": ["bad-type"]}]}}',
      'Event pattern is not valid. Reason: prefix match pattern must be a string\n at [Source: (String)"{"detail": {"sourceIPAddress": [{"cidr": ["bad-type"]}]}}"; line: 1, column: 43]',
    ],
    [
      '{"detail":{"v":[{"anything-but":9007199254740993}]}}',
      'Event pattern is not valid. Reason: Cannot compare number : 9007199254740993',
    ],
    [
      '{"detail": {"v": [{"cidr": "::ffff:192.0.2.0/120"}]}}',
      'Event pattern is not valid. Reason: Nonstandard IP address: ::ffff:192.0.2.0',
    ],
    [
      '{"detail":{"v":[{"cidr":"10.0.0.1/32"}]}}',
      'Event pattern is not valid. Reason: IPv4 mask bits must be < 32',
    ],
    [
      '{"detail":{"value":[{"wildcard":"*a*a*a*a*a*a*a*a*a*a"}]}}',
      'Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character',
    ],
    [
      '{"detail":{"value":[{"wildcard":"*abcabcabcabcabcabcabcabcabcabc*"}]}}',
      'Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character',
    ],
    [
      '{"detail":{"value":[{"wildcard":"*a0*"},{"wildcard":"*a1*"},{"wildcard":"*a2*"},{"wildcard":"*a3*"},{"wildcard":"*a4*"}]}}',
      'Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character',
    ],
  ];
  it.each(cases)('%s', async (pattern, message) => {
    expect(await result(pattern, event({}))).toBe(`InvalidEventPatternException: ${message}`);
  });

  it('an anything-but with an empty operator list is an internal failure, as on AWS', async () => {
    const r = await test('{"detail":{"v":[{"anything-but":{"suffix":[]}}]}}', event({}));
    expect(r).toMatchObject({ ok: false, name: 'InternalFailure' });
  });
});
