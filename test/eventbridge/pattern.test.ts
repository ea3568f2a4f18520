/**
 * EventBridge event-pattern matcher: table-driven cases taken from the worked examples in the Amazon EventBridge
 * User Guide (each group cites its page), plus edge cases that pin down the rules those pages state.
 */
import { describe, expect, it } from 'vitest';
import type { EventBridgeEvent } from '../../local/eventbridge/pattern.ts';
import {
  compilePattern,
  EventPatternError,
  matches,
  PatternInternalError,
  validatePattern,
} from '../../local/eventbridge/pattern.ts';

interface Row {
  readonly name: string;
  readonly pattern: unknown;
  readonly event: EventBridgeEvent;
  readonly expected: boolean;
}

/** An envelope in the shape of the guide's examples; `detail` and any top-level field can be overridden. */
const envelope = (detail: unknown, top: Record<string, unknown> = {}): EventBridgeEvent => ({
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail,
  ...top,
});

const row = (name: string, pattern: unknown, event: EventBridgeEvent, expected: boolean): Row => ({
  name,
  pattern,
  event,
  expected,
});

// --- Amazon EventBridge event patterns (eb-event-patterns), "Event pattern syntax" --------------------------------

const ec2Terminated = envelope(
  { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
  {
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    account: '111122223333',
    time: '2017-12-22T18:43:48Z',
    region: 'us-west-1',
    resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  },
);
const ec2TerminationPattern = {
  source: ['aws.ec2'],
  'detail-type': ['EC2 Instance State-change Notification'],
  detail: { state: ['terminated'] },
};
const autoscalingLaunch = envelope(
  { eventVersion: '', responseElements: null },
  {
    id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
    'detail-type': 'EC2 Instance Launch Successful',
    source: 'aws.autoscaling',
    time: '2015-11-11T21:31:47Z',
    resources: [],
  },
);
const macieAlert = envelope(
  {
    'notification-type': 'ALERT_CREATED',
    name: 'Scanning bucket policies',
    tags: ['Custom_Alert', 'Insider'],
    'risk-score': 80,
    trigger: { 'alert-type': 'basic', risk: 8 },
  },
  { 'detail-type': 'Macie Alert', source: 'aws.macie', time: '2017-04-24T22:28:49Z' },
);

const eventPatternsPage: Row[] = [
  row(
    'EC2 instance-termination pattern matches the terminated event',
    ec2TerminationPattern,
    ec2Terminated,
    true,
  ),
  row(
    'EC2 instance-termination pattern does not match a running instance',
    ec2TerminationPattern,
    envelope({ 'instance-id': 'i-1234567890abcdef0', state: 'running' }),
    false,
  ),
  row(
    'source list is OR: ["aws.ec2", "aws.fargate"] matches aws.ec2',
    { source: ['aws.ec2', 'aws.fargate'] },
    ec2Terminated,
    true,
  ),
  row(
    'source list is OR: ["aws.ec2", "aws.fargate"] matches aws.fargate',
    { source: ['aws.ec2', 'aws.fargate'] },
    envelope({}, { source: 'aws.fargate' }),
    true,
  ),
  row(
    'source list does not match aws.s3',
    { source: ['aws.ec2', 'aws.fargate'] },
    envelope({}, { source: 'aws.s3' }),
    false,
  ),
  row(
    'strings match exactly, without case-folding',
    { detail: { state: ['Terminated'] } },
    ec2Terminated,
    false,
  ),
  row('strings match exactly, no substring matching', { detail: { state: ['term'] } }, ec2Terminated, false),
  row(
    'every pattern field must be present in the event',
    { detail: { 'c-count': [5] } },
    ec2Terminated,
    false,
  ),
  row(
    'field names must appear with the same nesting',
    { detail: { instance: { state: ['terminated'] } } },
    ec2Terminated,
    false,
  ),
  row('fields the pattern does not name are ignored', { region: ['us-west-1'] }, ec2Terminated, true),
  row(
    'field matching: responseElements [null] (auto scaling example)',
    {
      source: ['aws.autoscaling'],
      'detail-type': ['EC2 Instance Launch Successful'],
      detail: { responseElements: [null] },
    },
    autoscalingLaunch,
    true,
  ),
  row(
    'value matching: risk-score 80 and trigger risk 8 (Macie example)',
    {
      source: ['aws.macie'],
      'detail-type': ['Macie Alert'],
      detail: { 'risk-score': [80], trigger: { risk: [8] } },
    },
    macieAlert,
    true,
  ),
  row(
    'value matching: risk-score 81 does not match 80',
    { source: ['aws.macie'], detail: { 'risk-score': [81], trigger: { risk: [8] } } },
    macieAlert,
    false,
  ),
  row(
    'a number does not match the same digits as a string',
    { detail: { 'risk-score': ['80'] } },
    macieAlert,
    false,
  ),
  row(
    'a boolean does not match the string "true"',
    { detail: { flag: [true] } },
    envelope({ flag: 'true' }),
    false,
  ),
  row('a boolean matches a boolean', { detail: { flag: [true] } }, envelope({ flag: true }), true),
  row('false does not match null', { detail: { flag: [false] } }, envelope({ flag: null }), false),
];

// --- Arrays in Amazon EventBridge event patterns (eb-event-patterns-arrays) ---------------------------------------

const resourcesPattern = {
  resources: [
    'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
    'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
    'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
  ],
};
const employees = envelope({
  employees: [
    { firstName: 'John', lastName: 'Doe' },
    { firstName: 'Anna', lastName: 'Smith' },
    { firstName: 'Peter', lastName: 'Jones' },
  ],
});

const arraysPage: Row[] = [
  row(
    'pattern array and event array intersect (first pattern item = second event item)',
    resourcesPattern,
    envelope(
      {},
      {
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        ],
      },
    ),
    true,
  ),
  row(
    'pattern array and event array do not intersect',
    resourcesPattern,
    envelope({}, { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] }),
    false,
  ),
  row(
    'an empty event array has nothing to intersect',
    resourcesPattern,
    envelope({}, { resources: [] }),
    false,
  ),
  row(
    'a scalar pattern value matches any element of an event array',
    { detail: { tags: ['Insider'] } },
    macieAlert,
    true,
  ),
  // Objects inside event arrays (Event Ruler "JSON Array Matching", which EventBridge uses): the array is crushed
  // out, but two fields can't be satisfied by objects in different elements of the same array.
  row(
    'a field of an object inside an event array matches',
    { detail: { employees: { firstName: ['Anna'] } } },
    employees,
    true,
  ),
  row(
    'two fields from the same array element match',
    { detail: { employees: { firstName: ['Anna'], lastName: ['Smith'] } } },
    employees,
    true,
  ),
  row(
    'two fields from different elements of the same array do not match',
    { detail: { employees: { firstName: ['Anna'], lastName: ['Jones'] } } },
    employees,
    false,
  ),
];

// --- Matching null values and empty strings in Amazon EventBridge event patterns (eb-event-patterns-null-values) ---

const nullValuesPage: Row[] = [
  row('[""] matches an empty string', { detail: { eventVersion: [''] } }, autoscalingLaunch, true),
  row('[null] matches a null value', { detail: { responseElements: [null] } }, autoscalingLaunch, true),
  row(
    '[""] does not match null (not interchangeable)',
    { detail: { responseElements: [''] } },
    autoscalingLaunch,
    false,
  ),
  row(
    '[null] does not match an empty string',
    { detail: { eventVersion: [null] } },
    autoscalingLaunch,
    false,
  ),
  row('[null] does not match a missing field', { detail: { userId: [null] } }, autoscalingLaunch, false),
  row(
    'a null value counts as present for exists:true',
    { detail: { responseElements: [{ exists: true }] } },
    autoscalingLaunch,
    true,
  ),
  row(
    'a null value is present, so exists:false does not match',
    { detail: { responseElements: [{ exists: false }] } },
    autoscalingLaunch,
    false,
  ),
];

// --- Content filtering in Amazon EventBridge event patterns / Comparison operators for use in event patterns ------

// "Comparison operators for use in event patterns in Amazon EventBridge": Prefix matching, Prefix matching while
// ignoring case ("Begins with (ignore case)" row).
const prefixRows: Row[] = [
  row(
    'prefix "2017-10-02" matches time 2017-10-02T18:43:48Z',
    { time: [{ prefix: '2017-10-02' }] },
    envelope({}, { time: '2017-10-02T18:43:48Z' }),
    true,
  ),
  row(
    'prefix "2017-10-02" does not match 2017-10-03',
    { time: [{ prefix: '2017-10-02' }] },
    envelope({}, { time: '2017-10-03T00:00:00Z' }),
    false,
  ),
  row('prefix is case-sensitive', { region: [{ prefix: 'US-' }] }, envelope({}), false),
  row(
    'prefix only matches strings',
    { detail: { count: [{ prefix: '12' }] } },
    envelope({ count: 123 }),
    false,
  ),
  row(
    'prefix equals-ignore-case "EventB" matches EVENTBRIDGE',
    { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    envelope({ service: 'EVENTBRIDGE' }),
    true,
  ),
  row(
    'prefix equals-ignore-case "EventB" matches eventbridge',
    { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    envelope({ service: 'eventbridge' }),
    true,
  ),
  row(
    'prefix equals-ignore-case does not match elsewhere in the string',
    { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    envelope({ service: 'Amazon EventBridge' }),
    false,
  ),
];

// "Comparison operators for use in event patterns in Amazon EventBridge": Suffix matching, Suffix matching while
// ignoring case ("Ends with (ignore case)" row).
const suffixRows: Row[] = [
  row(
    'suffix ".png" matches image.png',
    { detail: { FileName: [{ suffix: '.png' }] } },
    envelope({ FileName: 'image.png' }),
    true,
  ),
  row(
    'suffix is case-sensitive: ".png" vs image.PNG',
    { detail: { FileName: [{ suffix: '.png' }] } },
    envelope({ FileName: 'image.PNG' }),
    false,
  ),
  row(
    'suffix ".png" does not match image.png.txt',
    { detail: { FileName: [{ suffix: '.png' }] } },
    envelope({ FileName: 'image.png.txt' }),
    false,
  ),
  row(
    'suffix equals-ignore-case ".png" matches IMAGE.PNG',
    { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    envelope({ FileName: 'IMAGE.PNG' }),
    true,
  ),
  row(
    'suffix equals-ignore-case "tBridge" matches service name ending TBRIDGE',
    { detail: { service: [{ suffix: { 'equals-ignore-case': 'tBridge' } }] } },
    envelope({ service: 'EVENTBRIDGE' }),
    true,
  ),
  row(
    'suffix equals-ignore-case ".png" does not match image.jpg',
    { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    envelope({ FileName: 'image.jpg' }),
    false,
  ),
];

// "Comparison operators for use in event patterns in Amazon EventBridge": Equals (ignore case) row.
const equalsIgnoreCaseRows: Row[] = [
  row(
    'equals-ignore-case "alice" matches Alice',
    { detail: { Name: [{ 'equals-ignore-case': 'alice' }] } },
    envelope({ Name: 'Alice' }),
    true,
  ),
  row(
    'equals-ignore-case "alice" matches ALICE',
    { detail: { Name: [{ 'equals-ignore-case': 'alice' }] } },
    envelope({ Name: 'ALICE' }),
    true,
  ),
  row(
    'equals-ignore-case is whole-value: "alice" vs Alicia',
    { detail: { Name: [{ 'equals-ignore-case': 'alice' }] } },
    envelope({ Name: 'Alicia' }),
    false,
  ),
  row('plain "Alice" is case-sensitive', { detail: { Name: ['Alice'] } }, envelope({ Name: 'alice' }), false),
];

// "Comparison operators for use in event patterns in Amazon EventBridge": Wildcard matching (`*`; `\*` is a literal
// `*`, `\\` a literal `\`; consecutive `*` not allowed).
const wildcardRows: Row[] = [
  row(
    'wildcard "dir/*.png" matches dir/image.png',
    { detail: { FileName: [{ wildcard: 'dir/*.png' }] } },
    envelope({ FileName: 'dir/image.png' }),
    true,
  ),
  row(
    'wildcard * spans any characters, including /',
    { detail: { FileName: [{ wildcard: 'dir/*.png' }] } },
    envelope({ FileName: 'dir/sub/image.png' }),
    true,
  ),
  row(
    'wildcard "dir/*.png" does not match other/image.png',
    { detail: { FileName: [{ wildcard: 'dir/*.png' }] } },
    envelope({ FileName: 'other/image.png' }),
    false,
  ),
  row(
    'wildcard "dir/*.png" does not match dir/image.jpg',
    { detail: { FileName: [{ wildcard: 'dir/*.png' }] } },
    envelope({ FileName: 'dir/image.jpg' }),
    false,
  ),
  row(
    'wildcard on an event bus ARN matches any account',
    { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] } },
    envelope({ EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/orders' }),
    true,
  ),
  row(
    'wildcard on an event bus ARN does not match another region',
    { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] } },
    envelope({ EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/orders' }),
    false,
  ),
  row(
    'wildcard * matches zero characters',
    { detail: { FileName: [{ wildcard: 'dir/*.png' }] } },
    envelope({ FileName: 'dir/.png' }),
    true,
  ),
  row(
    'escaped \\* is a literal asterisk',
    { detail: { v: [{ wildcard: 'a\\*b' }] } },
    envelope({ v: 'a*b' }),
    true,
  ),
  row(
    'escaped \\* is not a wildcard',
    { detail: { v: [{ wildcard: 'a\\*b' }] } },
    envelope({ v: 'axyzb' }),
    false,
  ),
  row(
    'escaped \\\\ is a literal backslash',
    { detail: { v: [{ wildcard: 'C:\\\\*' }] } },
    envelope({ v: 'C:\\Windows' }),
    true,
  ),
  row(
    'wildcard characters other than * are literal',
    { detail: { v: [{ wildcard: 'a.c?' }] } },
    envelope({ v: 'abcd' }),
    false,
  ),
  row('wildcard only matches strings', { detail: { v: [{ wildcard: '*' }] } }, envelope({ v: 42 }), false),
  row(
    'wildcard is case-sensitive',
    { detail: { v: [{ wildcard: 'Dir/*' }] } },
    envelope({ v: 'dir/x' }),
    false,
  ),
];

// "Content filtering in Amazon EventBridge event patterns" / "Comparison operators ...": Anything-but matching
// (value, list of strings, list of numbers) and anything-but with prefix, suffix, equals-ignore-case, wildcard.
const anythingButRows: Row[] = [
  row(
    'anything-but "initializing" matches running',
    { detail: { state: [{ 'anything-but': 'initializing' }] } },
    envelope({ state: 'running' }),
    true,
  ),
  row(
    'anything-but "initializing" does not match initializing',
    { detail: { state: [{ 'anything-but': 'initializing' }] } },
    envelope({ state: 'initializing' }),
    false,
  ),
  row(
    'anything-but 123 matches 124',
    { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    envelope({ 'x-limit': 124 }),
    true,
  ),
  row(
    'anything-but 123 does not match 123',
    { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    envelope({ 'x-limit': 123 }),
    false,
  ),
  row(
    'anything-but 123 does not match 123.0 (numeric)',
    { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    envelope({ 'x-limit': 123.0 }),
    false,
  ),
  row(
    'anything-but 123 matches the string "123" (different type)',
    { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    envelope({ 'x-limit': '123' }),
    true,
  ),
  row(
    'anything-but ["stopped", "overloaded"] matches running',
    { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    envelope({ state: 'running' }),
    true,
  ),
  row(
    'anything-but ["stopped", "overloaded"] does not match overloaded',
    { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    envelope({ state: 'overloaded' }),
    false,
  ),
  row(
    'anything-but [100, 200, 300] matches 150',
    { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
    envelope({ 'x-limit': 150 }),
    true,
  ),
  row(
    'anything-but [100, 200, 300] does not match 200',
    { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
    envelope({ 'x-limit': 200 }),
    false,
  ),
  row(
    'anything-but does not match a missing field',
    { detail: { state: [{ 'anything-but': 'initializing' }] } },
    envelope({}),
    false,
  ),
  row(
    'anything-but matches an event array when some element is not excluded',
    { detail: { state: [{ 'anything-but': ['stopped'] }] } },
    envelope({ state: ['stopped', 'running'] }),
    true,
  ),
  row(
    'anything-but does not match an event array whose elements are all excluded',
    { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    envelope({ state: ['stopped', 'overloaded'] }),
    false,
  ),
  row(
    'anything-but "Raining" (the "Not" row) matches Sunny',
    { detail: { Weather: [{ 'anything-but': ['Raining'] }] } },
    envelope({ Weather: 'Sunny' }),
    true,
  ),
  row(
    'anything-but prefix "init" does not match initializing',
    { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    envelope({ state: 'initializing' }),
    false,
  ),
  row(
    'anything-but prefix "init" matches running',
    { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    envelope({ state: 'running' }),
    true,
  ),
  row(
    'anything-but prefix "us-": region is not in the US',
    { region: [{ 'anything-but': { prefix: 'us-' } }] },
    envelope({}, { region: 'eu-west-1' }),
    true,
  ),
  row(
    'anything-but prefix "us-" does not match us-east-1',
    { region: [{ 'anything-but': { prefix: 'us-' } }] },
    envelope({}),
    false,
  ),
  row(
    'anything-but prefix list ["init", "pend"] does not match pending',
    { detail: { state: [{ 'anything-but': { prefix: ['init', 'pend'] } }] } },
    envelope({ state: 'pending' }),
    false,
  ),
  row(
    'anything-but suffix ".png" does not match image.png',
    { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } },
    envelope({ FileName: 'image.png' }),
    false,
  ),
  row(
    'anything-but suffix ".png" matches notes.txt',
    { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } },
    envelope({ FileName: 'notes.txt' }),
    true,
  ),
  row(
    'anything-but suffix list [".png", ".jpg"] does not match a.jpg',
    { detail: { FileName: [{ 'anything-but': { suffix: ['.png', '.jpg'] } }] } },
    envelope({ FileName: 'a.jpg' }),
    false,
  ),
  row(
    'anything-but equals-ignore-case "initializing" does not match INITIALIZING',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } },
    envelope({ state: 'INITIALIZING' }),
    false,
  ),
  row(
    'anything-but equals-ignore-case "initializing" matches running',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } },
    envelope({ state: 'running' }),
    true,
  ),
  row(
    'anything-but equals-ignore-case list does not match Stopped',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] } },
    envelope({ state: 'Stopped' }),
    false,
  ),
  row(
    'anything-but wildcard "*/lib/*" does not match /usr/lib/libc.so',
    { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    envelope({ FilePath: '/usr/lib/libc.so' }),
    false,
  ),
  row(
    'anything-but wildcard "*/lib/*" matches /usr/bin/env',
    { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    envelope({ FilePath: '/usr/bin/env' }),
    true,
  ),
  row(
    'anything-but wildcard list ["*/lib/*", "*/bin/*"] does not match /usr/bin/env',
    { detail: { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] } },
    envelope({ FilePath: '/usr/bin/env' }),
    false,
  ),
];

// "Content filtering in Amazon EventBridge event patterns": Numeric matching example; "Comparison operators ...":
// Numeric (equals) "Price is 100" and Numeric (range) "Price is more than 10, and less than or equal to 20" rows.
const numericPattern = {
  detail: {
    'c-count': [{ numeric: ['>', 0, '<=', 5] }],
    'd-count': [{ numeric: ['<', 10] }],
    'x-limit': [{ numeric: ['=', 3.018e2] }],
  },
};

const numericRows: Row[] = [
  row(
    'numeric example matches c-count 5, d-count 3, x-limit 301.8',
    numericPattern,
    envelope({ 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 }),
    true,
  ),
  row(
    'numeric > 0 excludes 0',
    numericPattern,
    envelope({ 'c-count': 0, 'd-count': 3, 'x-limit': 301.8 }),
    false,
  ),
  row(
    'numeric <= 5 excludes 6',
    numericPattern,
    envelope({ 'c-count': 6, 'd-count': 3, 'x-limit': 301.8 }),
    false,
  ),
  row(
    'numeric < 10 excludes 10',
    numericPattern,
    envelope({ 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 }),
    false,
  ),
  row(
    'numeric = 3.018e2 excludes 301.9',
    numericPattern,
    envelope({ 'c-count': 5, 'd-count': 3, 'x-limit': 301.9 }),
    false,
  ),
  row('numeric = 5 matches 5.0', { detail: { n: [{ numeric: ['=', 5] }] } }, envelope({ n: 5.0 }), true),
  row(
    'numeric only matches JSON numbers, not "5"',
    { detail: { n: [{ numeric: ['=', 5] }] } },
    envelope({ n: '5' }),
    false,
  ),
  row('numeric >= 10 includes 10', { detail: { n: [{ numeric: ['>=', 10] }] } }, envelope({ n: 10 }), true),
  row(
    'numeric >= 10 excludes 9.999999',
    { detail: { n: [{ numeric: ['>=', 10] }] } },
    envelope({ n: 9.999999 }),
    false,
  ),
  row('numeric > 10 excludes 10', { detail: { n: [{ numeric: ['>', 10] }] } }, envelope({ n: 10 }), false),
  row('numeric <= -1 includes -1', { detail: { n: [{ numeric: ['<=', -1] }] } }, envelope({ n: -1 }), true),
  row(
    'numeric "Price > 10 and <= 20" includes 20',
    { detail: { Price: [{ numeric: ['>', 10, '<=', 20] }] } },
    envelope({ Price: 20 }),
    true,
  ),
  row(
    'numeric ">= 10 and < 20" excludes 20',
    { detail: { Price: [{ numeric: ['>=', 10, '<', 20] }] } },
    envelope({ Price: 20 }),
    false,
  ),
  row(
    'numeric ">= 10 and < 20" includes 10',
    { detail: { Price: [{ numeric: ['>=', 10, '<', 20] }] } },
    envelope({ Price: 10 }),
    true,
  ),
  row(
    'numeric matches any element of an event array',
    { detail: { n: [{ numeric: ['>', 100] }] } },
    envelope({ n: [1, 2, 300] }),
    true,
  ),
  row(
    'numeric does not match a boolean',
    { detail: { n: [{ numeric: ['>', 0] }] } },
    envelope({ n: true }),
    false,
  ),
  row(
    'exact number [100] (the "Price is 100" row) matches 100',
    { detail: { Price: [100] } },
    envelope({ Price: 100 }),
    true,
  ),
];

// "Content filtering in Amazon EventBridge event patterns": IP address matching (IPv4 and IPv6).
const cidrRows: Row[] = [
  row(
    'cidr 10.0.0.0/24 matches 10.0.0.33',
    { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
    envelope({ sourceIPAddress: '10.0.0.33' }),
    true,
  ),
  row(
    'cidr 10.0.0.0/24 matches 10.0.0.255',
    { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
    envelope({ sourceIPAddress: '10.0.0.255' }),
    true,
  ),
  row(
    'cidr 10.0.0.0/24 does not match 10.0.1.1',
    { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
    envelope({ sourceIPAddress: '10.0.1.1' }),
    false,
  ),
  row(
    'cidr does not match a non-IP string',
    { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/8' }] } },
    envelope({ sourceIPAddress: 'localhost' }),
    false,
  ),
  row(
    'cidr IPv6 2001:db8::/32 matches 2001:db8:0:1::7',
    { detail: { ip: [{ cidr: '2001:db8::/32' }] } },
    envelope({ ip: '2001:db8:0:1::7' }),
    true,
  ),
  row(
    'cidr IPv6 2001:db8::/32 does not match 2001:db9::1',
    { detail: { ip: [{ cidr: '2001:db8::/32' }] } },
    envelope({ ip: '2001:db9::1' }),
    false,
  ),
  // EventBridge compares addresses as Event Ruler does, as hexadecimal digit strings walked against the block's
  // range (CIDR.java), so a /0 block of one family admits the other family too (recorded AWS answers:
  // `::/0` matches "10.0.0.1", `0.0.0.0/0` matches "2001:db8::1").
  row(
    'cidr ::/0 also matches an IPv4 address (as AWS does)',
    { detail: { ip: [{ cidr: '::/0' }] } },
    envelope({ ip: '10.0.0.1' }),
    true,
  ),
  row(
    'cidr 0.0.0.0/0 also matches an IPv6 address (as AWS does)',
    { detail: { ip: [{ cidr: '0.0.0.0/0' }] } },
    envelope({ ip: '2001:db8::1' }),
    true,
  ),
  // Recorded: `10.0.0.1/31` matches "10.0.0.1"; a /32 block is refused ("IPv4 mask bits must be < 32").
  row(
    'cidr /31 matches its address',
    { detail: { ip: [{ cidr: '10.0.0.1/31' }] } },
    envelope({ ip: '10.0.0.1' }),
    true,
  ),
  // CIDR.java: the range starts at the address as written (not masked) and ends with the host bits set.
  row(
    'cidr range starts at the address as written',
    { detail: { ip: [{ cidr: '10.0.0.5/24' }] } },
    envelope({ ip: '10.0.0.1' }),
    false,
  ),
  row(
    'cidr range ends with the host bits set',
    { detail: { ip: [{ cidr: '10.0.0.5/24' }] } },
    envelope({ ip: '10.0.0.255' }),
    true,
  ),
  // A plain string that is an IP address is matched as an address: 10.0.0.1 and 10.0.00.1 are the same one.
  row(
    'a plain IP address value matches the same address written otherwise',
    { detail: { ip: ['10.0.0.1'] } },
    envelope({ ip: '10.0.00.1' }),
    true,
  ),
];

// "Content filtering in Amazon EventBridge event patterns": Exists matching ("only works on leaf nodes"), with
// the guide's detail.state / detail.c-count example events.
const existsRows: Row[] = [
  row(
    'exists:true matches an event with detail.state',
    { detail: { state: [{ exists: true }] } },
    envelope({ 'instance-id': 'i-abcd1111', state: 'pending' }),
    true,
  ),
  row(
    'exists:true does not match an event without detail.state',
    { detail: { state: [{ exists: true }] } },
    envelope({ 'c-count': { c1: 100 } }),
    false,
  ),
  row(
    'exists:false matches an event without detail.c-count',
    { detail: { 'c-count': [{ exists: false }] } },
    envelope({ state: ['initializing', 'running'] }),
    true,
  ),
  row(
    'exists:false also matches when c-count is an object (not a leaf node)',
    { detail: { 'c-count': [{ exists: false }] } },
    envelope({ state: ['initializing', 'running'], 'c-count': { c1: 100 } }),
    true,
  ),
  row(
    'exists:false does not match when c-count is a leaf',
    { detail: { 'c-count': [{ exists: false }] } },
    envelope({ 'c-count': 100 }),
    false,
  ),
  row(
    'exists:true does not match an intermediate (object) node',
    { detail: { 'c-count': [{ exists: true }] } },
    envelope({ 'c-count': { c1: 100 } }),
    false,
  ),
  row(
    'exists:true does not match an empty array (no leaf values)',
    { detail: { tags: [{ exists: true }] } },
    envelope({ tags: [] }),
    false,
  ),
  row(
    'exists:false matches an empty array (no leaf values)',
    { detail: { tags: [{ exists: false }] } },
    envelope({ tags: [] }),
    true,
  ),
  row(
    'exists:true matches an empty string',
    { detail: { eventVersion: [{ exists: true }] } },
    autoscalingLaunch,
    true,
  ),
  row(
    'exists:false matches when the whole parent object is missing',
    { detail: { extra: { x: [{ exists: false }] } } },
    envelope({}),
    true,
  ),
];

// "Content filtering in Amazon EventBridge event patterns": Complex example with multiple matching, and the note
// that a key included more than once uses its last reference.
const complexPattern = {
  time: [{ prefix: '2017-10-02' }],
  detail: {
    state: [{ 'anything-but': 'initializing' }],
    'c-count': [{ numeric: ['>', 0, '<=', 5] }],
    'd-count': [{ numeric: ['<', 10] }],
    'x-limit': [{ 'anything-but': [100, 200, 300] }],
  },
};
const complexDetail = {
  state: 'running',
  'c-count': 5,
  'd-count': 3,
  'x-limit': 301.8,
  'source-ip': '10.0.0.33',
};

const complexRows: Row[] = [
  row(
    'complex example matches',
    complexPattern,
    envelope(complexDetail, { time: '2017-10-02T16:24:49Z' }),
    true,
  ),
  row(
    'complex example: every field must match (x-limit 200)',
    complexPattern,
    envelope({ ...complexDetail, 'x-limit': 200 }, { time: '2017-10-02T16:24:49Z' }),
    false,
  ),
  row(
    'complex example: time prefix must match',
    complexPattern,
    envelope(complexDetail, { time: '2017-10-03T16:24:49Z' }),
    false,
  ),
  row(
    'values in one field array mix operators and exact values (OR)',
    { detail: { state: ['stopped', { prefix: 'run' }] } },
    envelope({ state: 'running' }),
    true,
  ),
  row(
    'duplicate key: the last reference is the one used (JSON text pattern)',
    '{"detail":{"location":[{"prefix":"us-"}],"location":[{"anything-but":"us-east"}]}}',
    envelope({ location: 'eu-west' }),
    true,
  ),
  row(
    'duplicate key: the earlier prefix rule is ignored',
    '{"detail":{"location":[{"prefix":"us-"}],"location":[{"anything-but":"us-east"}]}}',
    envelope({ location: 'us-east' }),
    false,
  ),
];

// "Comparison operators for use in event patterns in Amazon EventBridge": Or (multiple fields) row and $or matching;
// nested / parallel $or shapes as in Event Ruler's README, the engine behind EventBridge.
const orRows: Row[] = [
  row(
    '$or "Location is New York, or Day is Monday": Location matches',
    { detail: { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] } },
    envelope({ Location: 'New York', Day: 'Friday' }),
    true,
  ),
  row(
    '$or "Location is New York, or Day is Monday": Day matches',
    { detail: { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] } },
    envelope({ Location: 'Boston', Day: 'Monday' }),
    true,
  ),
  row(
    '$or "Location is New York, or Day is Monday": neither matches',
    { detail: { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] } },
    envelope({ Location: 'Boston', Day: 'Friday' }),
    false,
  ),
  row(
    '$or numeric alternatives: c-count, d-count or x-limit',
    {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    },
    envelope({ 'c-count': 50, 'd-count': 50, 'x-limit': 301.8 }),
    true,
  ),
  row(
    '$or combines with sibling fields (AND): source must still match',
    {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    },
    envelope({}, { source: 'aws.ec2', namespace: 'AWS/EC2' }),
    false,
  ),
  row(
    '$or combines with sibling fields: source and namespace match',
    {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    },
    envelope({}, { source: 'aws.cloudwatch', namespace: 'AWS/EC2' }),
    true,
  ),
  row(
    '$or alternative with an AND inside needs all of its fields',
    { $or: [{ metricName: ['CPUUtilization'] }, { metricType: ['MetricType'], namespace: ['AWS/EC2'] }] },
    envelope({}, { metricType: 'MetricType', namespace: 'AWS/ES' }),
    false,
  ),
  row(
    'nested $or inside an $or alternative',
    {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization'] },
        { namespace: ['AWS/EC2'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
      ],
    },
    envelope({}, { source: 'aws.cloudwatch', namespace: 'AWS/EC2', spaceId: 1000 }),
    true,
  ),
  row(
    'parallel $or at two levels: both must be satisfied',
    {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    },
    envelope({ source: 'aws.ec2' }, { namespace: 'AWS/EC2' }),
    false,
  ),
];

const groups: Record<string, Row[]> = {
  'Amazon EventBridge event patterns / Event pattern syntax': eventPatternsPage,
  'Arrays in Amazon EventBridge event patterns': arraysPage,
  'Matching null values and empty strings in Amazon EventBridge event patterns': nullValuesPage,
  'Comparison operators: prefix (and prefix equals-ignore-case)': prefixRows,
  'Comparison operators: suffix (and suffix equals-ignore-case)': suffixRows,
  'Comparison operators: equals-ignore-case': equalsIgnoreCaseRows,
  'Comparison operators: wildcard': wildcardRows,
  'Comparison operators: anything-but': anythingButRows,
  'Comparison operators: numeric': numericRows,
  'Comparison operators: IP address (cidr)': cidrRows,
  'Comparison operators: exists': existsRows,
  'Content filtering: complex example with multiple matching': complexRows,
  'Comparison operators: $or': orRows,
};

describe('EventBridge event pattern matching', () => {
  for (const [group, rows] of Object.entries(groups)) {
    describe(group, () => {
      it.each(rows)('$name', ({ pattern, event, expected }) => {
        expect(matches(pattern, event)).toBe(expected);
      });
    });
  }

  it('has a substantial table', () => {
    expect(Object.values(groups).flat().length).toBeGreaterThanOrEqual(80);
  });

  it('a compiled pattern can be reused across events', () => {
    const compiled = compilePattern(ec2TerminationPattern);
    expect(compiled.matches(ec2Terminated)).toBe(true);
    expect(compiled.matches(envelope({ state: 'running' }))).toBe(false);
    expect(compiled.matches(JSON.stringify(ec2Terminated))).toBe(true);
  });

  it('reads only the fields the pattern names (a large detail costs nothing to match)', () => {
    let read = 0;
    const lines = Array.from({ length: 2000 }, (_, i) => ({
      get sku() {
        read++;
        return `SKU-${i}`;
      },
    }));
    const event = envelope({ state: 'terminated', lines }, { source: 'storeflow.orders' });
    expect(matches({ source: ['storeflow.orders'], detail: { state: ['terminated'] } }, event)).toBe(true);
    expect(matches({ source: [{ prefix: 'storeflow.' }] }, event)).toBe(true);
    expect(read).toBe(0);
    // a pattern on the lines reads them, and fields of one line still combine only with that line
    expect(matches({ detail: { lines: { sku: ['SKU-1999'] } } }, event)).toBe(true);
    expect(read).toBe(2000);
  });
});

// --- validatePattern: malformed patterns are refused with EventBridge's reason ------------------------------------
//
// EventBridge compiles patterns with Event Ruler's JsonRuleCompiler and returns its first error as
// "Event pattern is not valid. Reason: <reason>" (InvalidEventPatternException). The reasons below are that
// compiler's wording (github.com/aws/event-ruler, JsonRuleCompiler.java, CIDR.java, WildcardParser.java), as
// recorded from AWS where a recording exists (see pattern-conformance.test.ts for recorded messages, location
// included). Here only the reason's first line is compared.

interface BadRow {
  readonly name: string;
  readonly pattern: unknown;
  readonly reason: string;
}

const bad = (name: string, pattern: unknown, reason: string): BadRow => ({ name, pattern, reason });

const badPatterns: BadRow[] = [
  bad('pattern is not an object', ['aws.ec2'], 'Filter is not an object'),
  bad(
    'pattern text is not JSON',
    '{"source": [',
    'Unexpected end-of-input: expected close marker for Array (start marker at [Source: (String)"{"source": ["; line: 1, column: 12])',
  ),
  bad('leaf value not wrapped in an array', { source: 'aws.ec2' }, '"source" must be an object or an array'),
  bad('numeric leaf not wrapped in an array', { detail: { n: 5 } }, '"n" must be an object or an array'),
  bad('empty value array', { source: [] }, 'Empty arrays are not allowed'),
  bad('empty nested object', { detail: {} }, 'Empty objects are not allowed'),
  bad(
    'array nested in a value array',
    { detail: { n: [[1]] } },
    'Match value must be String, number, true, false, or null',
  ),
  bad('unknown operator', { detail: { state: [{ contains: 'x' }] } }, 'Unrecognized match type contains'),
  bad(
    'operator names are case-sensitive',
    { detail: { state: [{ EXISTS: true }] } },
    'Unrecognized match type EXISTS',
  ),
  bad(
    'operator object with two keys',
    { detail: { s: [{ prefix: 'a', suffix: 'b' }] } },
    'Only one key allowed in match expression',
  ),
  bad('prefix with a number', { detail: { s: [{ prefix: 1 }] } }, 'prefix match pattern must be a string'),
  bad(
    'prefix with an unsupported inner operator',
    { detail: { s: [{ prefix: { wildcard: 'a*' } }] } },
    'Unsupported prefix pattern: wildcard',
  ),
  bad(
    'suffix equals-ignore-case with a number',
    { detail: { s: [{ suffix: { 'equals-ignore-case': 1 } }] } },
    'equals-ignore-case match pattern must be a string',
  ),
  bad(
    'equals-ignore-case with a number',
    { detail: { s: [{ 'equals-ignore-case': 5 }] } },
    'equals-ignore-case match pattern must be a string',
  ),
  bad(
    'wildcard with consecutive *',
    { detail: { s: [{ wildcard: 'a**b' }] } },
    'Consecutive wildcard characters at pos 2',
  ),
  bad(
    'wildcard escaping another character',
    { detail: { s: [{ wildcard: 'a\\b' }] } },
    'Invalid escape character at pos 2',
  ),
  bad(
    'wildcard ending in a lone backslash',
    { detail: { s: [{ wildcard: 'a\\' }] } },
    'Invalid escape character at pos 2',
  ),
  bad(
    'numeric is not an array',
    { detail: { n: [{ numeric: '>5' }] } },
    'Value of numeric must be an array.',
  ),
  bad(
    'numeric with an unknown operator',
    { detail: { n: [{ numeric: ['!=', 5] }] } },
    'Unrecognized numeric range operator: !=',
  ),
  bad(
    'numeric with a string operand',
    { detail: { n: [{ numeric: ['=', '5'] }] } },
    'Value of equals must be numeric',
  ),
  bad(
    'numeric range with a bad second operator',
    { detail: { n: [{ numeric: ['>', 0, '>', 5] }] } },
    'Bad numeric range operator: >',
  ),
  bad(
    'numeric range starting with <',
    { detail: { n: [{ numeric: ['<', 5, '>', 1] }] } },
    'Too many elements in numeric expression',
  ),
  bad(
    'numeric range with = ',
    { detail: { n: [{ numeric: ['=', 5, '<', 9] }] } },
    'Too many elements in numeric expression',
  ),
  bad(
    'numeric range lower bound above upper',
    { detail: { n: [{ numeric: ['>', 10, '<', 5] }] } },
    'Bottom must be less than top',
  ),
  bad(
    'numeric range missing upper operand',
    { detail: { n: [{ numeric: ['>', 0, '<'] }] } },
    'Value of < must be numeric',
  ),
  bad(
    'numeric operand that binary64 cannot hold exactly',
    '{"detail": {"n": [{"numeric": [">", 9007199254740993]}]}}',
    'Cannot compare number : 9007199254740993',
  ),
  bad(
    'cidr without a prefix length',
    { detail: { ip: [{ cidr: '10.0.0.0' }] } },
    "Malformed CIDR, one '/' required",
  ),
  bad(
    'cidr with an IPv4 prefix length of 32',
    { detail: { ip: [{ cidr: '10.0.0.1/32' }] } },
    'IPv4 mask bits must be < 32',
  ),
  bad(
    'cidr with a bad octet',
    { detail: { ip: [{ cidr: '300.0.0.0/8' }] } },
    'Invalid IP address: 300.0.0.0',
  ),
  bad(
    'cidr with an IPv6 prefix length of 128',
    { detail: { ip: [{ cidr: 'fe80::/128' }] } },
    'IPv6 mask bits must be < 128',
  ),
  bad('cidr with two ::', { detail: { ip: [{ cidr: '1::2::3/64' }] } }, 'Invalid IP address: 1::2::3'),
  bad(
    'cidr with an IPv4-mapped IPv6 address',
    { detail: { ip: [{ cidr: '::ffff:192.0.2.0/120' }] } },
    'Nonstandard IP address: ::ffff:192.0.2.0',
  ),
  bad(
    'exists with a string',
    { detail: { s: [{ exists: 'yes' }] } },
    'exists match pattern must be either true or false.',
  ),
  bad(
    'anything-but with mixed list',
    { detail: { s: [{ 'anything-but': ['a', 1] }] } },
    'Inside anything but list, either all values are number or string, mixed type is not supported',
  ),
  bad(
    'anything-but with null',
    { detail: { s: [{ 'anything-but': null }] } },
    'Value of anything-but must be an array or single string/number value.',
  ),
  bad(
    'anything-but with a boolean list',
    { detail: { s: [{ 'anything-but': [true] }] } },
    'Inside anything but list, start|null|boolean is not supported.',
  ),
  bad(
    'anything-but with an empty list',
    { detail: { s: [{ 'anything-but': [] }] } },
    'Inside anything but list, either all values are number or string, mixed type is not supported',
  ),
  bad(
    'anything-but with numeric inside',
    { detail: { s: [{ 'anything-but': { numeric: ['>', 1] } }] } },
    'Unsupported anything-but pattern: numeric',
  ),
  bad(
    'anything-but with an empty prefix',
    { detail: { s: [{ 'anything-but': { prefix: '' } }] } },
    'Null prefix/suffix not allowed',
  ),
  bad(
    'anything-but suffix list with a number',
    { detail: { s: [{ 'anything-but': { suffix: ['.png', 3] } }] } },
    'prefix/suffix match pattern must be a string',
  ),
  bad(
    'anything-but with an invalid wildcard',
    { detail: { s: [{ 'anything-but': { wildcard: ['ok*', 'bad**'] } }] } },
    'Consecutive wildcard characters at pos 4',
  ),
  bad(
    'anything-but prefix with equals-ignore-case inside',
    { detail: { s: [{ 'anything-but': { prefix: { 'equals-ignore-case': 'x' } } }] } },
    'Value of anything-but must be an array or single string/number value.',
  ),
  bad('$or is not an array', { $or: { a: ['x'] } }, 'It must be an Array followed with $or.'),
  bad(
    '$or with a single alternative',
    { $or: [{ a: ['x'] }] },
    'There must have at least 2 Objects in $or relationship.',
  ),
  bad(
    '$or with a non-object alternative',
    { detail: { $or: [{ a: ['x'] }, ['b']] } },
    'Only JSON object is allowed in array of $or relationship.',
  ),
  bad(
    '$or alternative using an operator name as a field',
    { $or: [{ prefix: ['x'] }, { b: ['y'] }] },
    'prefix is Ruler reserved fieldName which cannot be used inside $or.',
  ),
  bad(
    'invalid operator nested inside $or',
    { $or: [{ a: ['x'] }, { b: [{ numeric: ['>', 'x'] }] }] },
    'Value of > must be numeric',
  ),
  bad(
    'too many wildcard states at once (five *aN* on one field)',
    { detail: { v: ['*a0*', '*a1*', '*a2*', '*a3*', '*a4*'].map((wildcard) => ({ wildcard })) } },
    'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character',
  ),
];

describe('validatePattern', () => {
  it.each(badPatterns)('rejects: $name', ({ pattern, reason }) => {
    let error: unknown;
    try {
      validatePattern(pattern);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EventPatternError);
    const message = (error as EventPatternError).message;
    expect(message.split('\n at [Source: ')[0]).toBe(`Event pattern is not valid. Reason: ${reason}`);
  });

  it('an empty anything-but operator list fails as an internal error, as on AWS', () => {
    for (const op of ['prefix', 'suffix', 'wildcard', 'equals-ignore-case']) {
      expect(() => validatePattern({ detail: { v: [{ 'anything-but': { [op]: [] } }] } })).toThrow(
        PatternInternalError,
      );
    }
  });

  it('matches() refuses a malformed pattern rather than silently not matching', () => {
    expect(() => matches({ source: 'aws.ec2' }, ec2Terminated)).toThrow(EventPatternError);
  });

  it('accepts every pattern used in the matching table', () => {
    for (const r of Object.values(groups).flat()) expect(() => validatePattern(r.pattern)).not.toThrow();
  });
});
