/**
 * PutRule, PutTargets and the rule API through the AWS SDK, and what targets then receive: each case is what AWS
 * answered to the same request. Sources: the API Reference (PutRule, PutTargets, DeleteRule, InputTransformer), the
 * User Guide ("Creating a rule that runs on a schedule", "Amazon EventBridge input transformation", "Using
 * dead-letter queues"), and for what those leave open AWS's recorded answers on a scratch account (the stackd
 * recordings testdata/aws/eventbridge/scheduled_rules.json and inputs.json of github.com/radkawar/stackd, cited by
 * their case names; moto's and LocalStack's AWS-validated tests for the messages of DeleteRule and PutRule).
 */
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  type PutRuleCommandInput,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleSpec } from '../../local/eventbridge/bus.ts';
import { ACCOUNT, type ApiHarness, outcome, REGION, startApi } from './api-harness.ts';

const arn = (resource: string) => `arn:aws:events:${REGION}:${ACCOUNT}:${resource}`;
const queue = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

const assemblyRule: RuleSpec = {
  name: 'from-the-app',
  arn: arn('rule/shop/from-the-app'),
  busName: 'shop',
  eventPattern: { source: ['app'] },
  state: 'ENABLED',
  targets: [{ id: 't', arn: queue('app') }],
};

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ rules: [assemblyRule] });
});
afterAll(async () => {
  await api.close();
});

const putRule = (input: PutRuleCommandInput) => outcome(api.client.send(new PutRuleCommand(input)));
const describeRule = (Name: string, EventBusName?: string) =>
  outcome(api.client.send(new DescribeRuleCommand({ Name, ...(EventBusName ? { EventBusName } : {}) })));
const failure = (name: string, message: string) => ({ ok: false, name, message });

let n = 0;
const fresh = (stem: string) => `${stem}-${++n}`;

describe('PutRule: schedule expressions (recorded: scheduled_rules.json)', () => {
  it.each([
    'cron(0 12 * * ? *)',
    'cron(0-30/10 8-17 ? * MON-FRI *)',
    'cron(0 0 L-3 * ? *)',
    'cron(0 0 ? * 3#2 *)',
    'cron(0 0 ? jan mon *)',
    'cron(0x 0 * * ? *)',
    'rate(1 minute)',
    'rate(01 minute)',
    'rate(2 days)',
    'rate(2147483647 minutes)',
  ])('accepts %j', async (ScheduleExpression) => {
    const name = fresh('sched');
    expect(await putRule({ Name: name, ScheduleExpression, State: 'DISABLED' })).toEqual({
      ok: true,
      output: expect.objectContaining({ RuleArn: arn(`rule/${name}`) }),
    });
    expect((await describeRule(name)).ok && (await describeRule(name))).toMatchObject({
      output: { ScheduleExpression, State: 'DISABLED', EventBusName: 'default', CreatedBy: ACCOUNT },
    });
  });
  it.each([
    'rate(1 minutes)',
    'rate(2 minute)',
    'rate(1 MINUTE)',
    'RATE(1 minute)',
    'rate(1  minute)',
    ' rate(1 minute) ',
    'rate(0 minutes)',
    'rate(60 seconds)',
    'rate(2147483648 minutes)',
    'cron(0 0 ? * ? *)',
    'cron(0 0 * * * *)',
    'cron(0 12 * * ?)',
    'cron(0  0 * * ? *)',
    'cron(0 0 ? * MON#6 *)',
    'cron(0 0 1 1 ? 2030-2027)',
    'at(2028-01-01T00:00:00)',
  ])('refuses %j', async (ScheduleExpression) => {
    const name = fresh('bad-sched');
    expect(await putRule({ Name: name, ScheduleExpression })).toEqual(
      failure('ValidationException', 'Parameter ScheduleExpression is not valid.'),
    );
    expect(await describeRule(name)).toMatchObject({ ok: false, name: 'ResourceNotFoundException' });
  });
});

describe('PutRule: buses, patterns and states', () => {
  it('a schedule only on the default bus, even an empty one (recorded: bus-custom-*, custom-empty-schedule)', async () => {
    const message = 'ScheduleExpression is supported only on the default event bus.';
    for (const ScheduleExpression of ['rate(1 day)', '']) {
      expect(
        await putRule({
          Name: fresh('custom'),
          EventBusName: 'shop',
          ScheduleExpression,
          EventPattern: '{"source":["x"]}',
        }),
      ).toEqual(failure('ValidationException', message));
    }
    expect(
      await putRule({
        Name: fresh('custom'),
        EventBusName: arn('event-bus/shop'),
        ScheduleExpression: 'rate(1 day)',
      }),
    ).toEqual(failure('ValidationException', message));
  });
  it('a rule on a custom bus is rule/<bus>/<name> (recorded: bus-custom-name-pattern)', async () => {
    const name = fresh('on-shop');
    expect(
      await putRule({
        Name: name,
        EventBusName: 'shop',
        EventPattern: '{"source":["x"]}',
        State: 'DISABLED',
      }),
    ).toEqual({
      ok: true,
      output: expect.objectContaining({ RuleArn: arn(`rule/shop/${name}`) }),
    });
    expect(await describeRule(name, 'shop')).toMatchObject({
      ok: true,
      output: { Name: name, Arn: arn(`rule/shop/${name}`), EventBusName: 'shop', State: 'DISABLED' },
    });
  });
  it('needs a pattern or a schedule; one of them may be empty (recorded: schedule-empty, empty-*, replacement-explicit-*)', async () => {
    const message = 'Parameter(s) EventPattern or ScheduleExpression must be specified.';
    expect(await putRule({ Name: fresh('none') })).toEqual(failure('ValidationException', message));
    expect(await putRule({ Name: fresh('none'), EventPattern: '' })).toEqual(
      failure('ValidationException', message),
    );
    expect(await putRule({ Name: fresh('none'), ScheduleExpression: '' })).toEqual(
      failure('ValidationException', message),
    );
    expect(await putRule({ Name: fresh('none'), ScheduleExpression: '', EventPattern: '' })).toEqual(
      failure('ValidationException', message),
    );
    const a = fresh('empty-schedule');
    expect(
      await putRule({ Name: a, EventPattern: '{"source":["x"]}', ScheduleExpression: '' }),
    ).toMatchObject({ ok: true });
    expect(await describeRule(a)).toMatchObject({
      output: { ScheduleExpression: '', EventPattern: '{"source":["x"]}' },
    });
    const b = fresh('empty-pattern');
    expect(
      await putRule({ Name: b, EventPattern: '', ScheduleExpression: 'rate(1 day)', State: 'DISABLED' }),
    ).toMatchObject({
      ok: true,
    });
    expect(await describeRule(b)).toMatchObject({
      output: { EventPattern: '', ScheduleExpression: 'rate(1 day)' },
    });
  });
  it('compiles the pattern as TestEventPattern does', async () => {
    const r = await putRule({ Name: fresh('bad-pattern'), EventPattern: '{"source":"x"}' });
    expect(r).toEqual(
      failure(
        'InvalidEventPatternException',
        'Event pattern is not valid. Reason: "source" must be an object or an array\n at [Source: (String)"{"source":"x"}"; line: 1, column: 12]',
      ),
    );
  });
  it('State is one of the model values (recorded: state-*-invalid)', async () => {
    expect(
      await putRule({ Name: 'lower-state', State: 'enabled' as never, ScheduleExpression: 'rate(1 day)' }),
    ).toEqual(
      failure(
        'ValidationException',
        "1 validation error detected: Value 'enabled' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]",
      ),
    );
  });
  it('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS: with a pattern, not with a schedule (recorded: state-*-all-management)', async () => {
    const State = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
    expect(await putRule({ Name: fresh('ct'), State, ScheduleExpression: 'rate(1 day)' })).toMatchObject({
      ok: false,
      name: 'ValidationException',
    });
    const name = fresh('ct');
    expect(await putRule({ Name: name, State, EventPattern: '{"source":["x"]}' })).toMatchObject({
      ok: true,
    });
    expect(await describeRule(name)).toMatchObject({ output: { State } });
    expect(
      await putRule({ Name: fresh('ct'), State, EventPattern: '{"source":["x"]}', ScheduleExpression: '' }),
    ).toMatchObject({
      ok: true,
    });
  });
  it('a name outside [.-_A-Za-z0-9] is a model error', async () => {
    expect(await putRule({ Name: 'a b', ScheduleExpression: 'rate(1 day)' })).toEqual(
      failure(
        'ValidationException',
        "1 validation error detected: Value 'a b' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
      ),
    );
  });
  it('an unknown bus', async () => {
    expect(await putRule({ Name: 'x', EventBusName: 'nope', EventPattern: '{"source":["x"]}' })).toEqual(
      failure('ResourceNotFoundException', 'Event bus nope does not exist.'),
    );
  });
});

describe('PutRule replaces; the other rule operations (recorded: replacement-*, retention-*, state-*)', () => {
  it('what PutRule leaves out is gone, a failed PutRule changes nothing, State defaults to ENABLED', async () => {
    const Name = fresh('replacement');
    await putRule({
      Name,
      ScheduleExpression: 'rate(1 day)',
      EventPattern: '{"source":["x"]}',
      State: 'DISABLED',
      Description: 'initial-description',
    });
    expect(
      await putRule({ Name, ScheduleExpression: 'rate(0 minutes)', Description: 'must-not-commit' }),
    ).toMatchObject({
      ok: false,
    });
    expect(await putRule({ Name, EventPattern: '{', ScheduleExpression: 'rate(2 days)' })).toMatchObject({
      ok: false,
      name: 'InvalidEventPatternException',
    });
    expect(await describeRule(Name)).toEqual({
      ok: true,
      output: expect.objectContaining({
        Name,
        Arn: arn(`rule/${Name}`),
        EventPattern: '{"source":["x"]}',
        ScheduleExpression: 'rate(1 day)',
        State: 'DISABLED',
        Description: 'initial-description',
        EventBusName: 'default',
        CreatedBy: ACCOUNT,
      }),
    });
    await putRule({ Name, ScheduleExpression: 'rate(2 days)' });
    const after = await describeRule(Name);
    expect(after).toMatchObject({ output: { ScheduleExpression: 'rate(2 days)', State: 'ENABLED' } });
    expect(after.ok && after.output).not.toHaveProperty('Description');
    expect(after.ok && after.output).not.toHaveProperty('EventPattern');
  });
  it('EnableRule and DisableRule; on a missing rule ResourceNotFoundException; DeleteRule of a missing rule succeeds', async () => {
    const Name = fresh('toggle');
    await putRule({ Name, EventPattern: '{"source":["x"]}' });
    await api.client.send(new DisableRuleCommand({ Name }));
    expect(await describeRule(Name)).toMatchObject({ output: { State: 'DISABLED' } });
    await api.client.send(new EnableRuleCommand({ Name }));
    expect(await describeRule(Name)).toMatchObject({ output: { State: 'ENABLED' } });
    expect(await outcome(api.client.send(new DeleteRuleCommand({ Name })))).toMatchObject({ ok: true });
    expect(await outcome(api.client.send(new DeleteRuleCommand({ Name })))).toMatchObject({ ok: true });
    expect(await describeRule(Name)).toEqual(
      failure('ResourceNotFoundException', `Rule ${Name} does not exist on EventBus default.`),
    );
    expect(await outcome(api.client.send(new EnableRuleCommand({ Name })))).toMatchObject({
      ok: false,
      name: 'ResourceNotFoundException',
    });
    expect(await outcome(api.client.send(new DisableRuleCommand({ Name })))).toMatchObject({
      ok: false,
      name: 'ResourceNotFoundException',
    });
  });
  it('a rule with targets cannot be deleted', async () => {
    const Name = fresh('with-targets');
    await putRule({ Name, EventPattern: '{"source":["x"]}' });
    await api.client.send(new PutTargetsCommand({ Rule: Name, Targets: [{ Id: 't', Arn: queue('q') }] }));
    expect(await outcome(api.client.send(new DeleteRuleCommand({ Name })))).toEqual(
      failure('ValidationException', "Rule can't be deleted since it has targets."),
    );
    await api.client.send(new RemoveTargetsCommand({ Rule: Name, Ids: ['t'] }));
    expect(await outcome(api.client.send(new DeleteRuleCommand({ Name })))).toMatchObject({ ok: true });
  });
  it('ListRules lists by name, filtered by prefix', async () => {
    for (const s of ['c', 'a', 'b']) await putRule({ Name: `listed-${s}`, EventPattern: '{"source":["x"]}' });
    const out = await api.client.send(new ListRulesCommand({ NamePrefix: 'listed-' }));
    expect(out.Rules?.map((r) => r.Name)).toEqual(['listed-a', 'listed-b', 'listed-c']);
  });
  it("the app's rules are read-only through the API", async () => {
    expect(
      await putRule({ Name: 'from-the-app', EventBusName: 'shop', EventPattern: '{"source":["y"]}' }),
    ).toMatchObject({
      ok: false,
      name: 'ManagedRuleException',
    });
    expect(await describeRule('from-the-app', 'shop')).toMatchObject({
      output: { Arn: assemblyRule.arn, EventPattern: '{"source":["app"]}' },
    });
  });
  it('CreateEventBus and DeleteEventBus', async () => {
    expect(await outcome(api.client.send(new CreateEventBusCommand({ Name: 'scratch' })))).toEqual({
      ok: true,
      output: expect.objectContaining({ EventBusArn: arn('event-bus/scratch') }),
    });
    expect(await outcome(api.client.send(new CreateEventBusCommand({ Name: 'scratch' })))).toEqual(
      failure('ResourceAlreadyExistsException', 'Event bus scratch already exists.'),
    );
    expect(
      await putRule({ Name: 'on-scratch', EventBusName: 'scratch', EventPattern: '{"source":["x"]}' }),
    ).toMatchObject({
      output: { RuleArn: arn('rule/scratch/on-scratch') },
    });
    expect(await outcome(api.client.send(new DeleteEventBusCommand({ Name: 'default' })))).toEqual(
      failure('ValidationException', 'Cannot delete event bus default.'),
    );
    expect(await outcome(api.client.send(new DeleteEventBusCommand({ Name: 'scratch' })))).toMatchObject({
      ok: true,
    });
    expect(await describeRule('on-scratch', 'scratch')).toMatchObject({
      ok: false,
      name: 'ResourceNotFoundException',
    });
  });
});

// --- PutTargets and what the targets receive (recorded: inputs.json) ---------------------------------------------

const probeDetail = {
  text: 'hello',
  number: 42,
  nothing: null,
  object: { first: 'one', second: 2 },
  quoted: 'say "hello"',
};

/** A rule on `shop` matching `source: [name]` with one target (DLQ `dlq`), an event sent, deliveries run. */
async function deliverThrough(target: Omit<Target, 'Id' | 'Arn'>) {
  const Rule = fresh('input');
  const targetArn = queue(Rule);
  await putRule({ Name: Rule, EventBusName: 'shop', EventPattern: JSON.stringify({ source: [Rule] }) });
  const put = await outcome(
    api.client.send(
      new PutTargetsCommand({
        Rule,
        EventBusName: 'shop',
        Targets: [{ Id: 'target', Arn: targetArn, DeadLetterConfig: { Arn: queue('dlq') }, ...target }],
      }),
    ),
  );
  if (!put.ok) return { put, rule: Rule, delivered: [] as string[], dead: [] as typeof api.dead };
  await api.client.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: 'shop',
          Source: Rule,
          DetailType: 'input-probe',
          Detail: JSON.stringify(probeDetail),
        },
      ],
    }),
  );
  await api.clock.advance(0);
  return {
    put,
    rule: Rule,
    delivered: api.delivered.filter((d) => d.arn === targetArn).map((d) => d.payload),
    dead: api.dead.filter((d) => d.attributes.TARGET_ARN === targetArn),
  };
}

describe('PutTargets refuses what AWS refuses (ValidationException)', () => {
  it.each<[string, Omit<Target, 'Id' | 'Arn'>, string]>([
    [
      'input-invalid',
      { Input: 'not-json' },
      'JSON syntax error in input for target target: [Source: (String)"not-json"; line: 1, column: 1]',
    ],
    ['path-bracket-single', { InputPath: "$['detail']['text']" }, 'InputPath for target target is invalid.'],
    ['path-object-wildcard', { InputPath: '$.detail.object.*' }, 'InputPath for target target is invalid.'],
    [
      'placeholder-key',
      { InputTransformer: { InputPathsMap: { key: '$.detail.text' }, InputTemplate: '{"<key>":"value"}' } },
      'InputTemplate placeholder present as a JSON object key for target target.',
    ],
    [
      'template-plain',
      { InputTransformer: { InputPathsMap: { value: '$.detail.text' }, InputTemplate: 'hello <value>' } },
      'Invalid InputTemplate for target target : [Source: (String)"hello null"; line: 1, column: 1].',
    ],
    [
      'reserved-event-string',
      { InputTransformer: { InputTemplate: '"event <aws.events.event.json>"' } },
      'InputTemplate for target target contains placeholder aws.events.event.json valid only for JSON template.',
    ],
    [
      'reserved-map-key',
      {
        InputTransformer: {
          InputPathsMap: { 'aws.events.rule-name': '$.detail.text' },
          InputTemplate: '{"value":<aws.events.rule-name>}',
        },
      },
      "1 validation error detected: Value '{aws.events.rule-name=$.detail.text}' at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [A-Za-z0-9\\_\\-]+]",
    ],
    [
      'input-and-path',
      { Input: '{}', InputPath: '$.detail' },
      'Only one of Input, InputPath, or InputTransformer must be provided for target target.',
    ],
  ])('%s', async (_case, target, message) => {
    const { put } = await deliverThrough(target);
    expect(put).toEqual(failure('ValidationException', message));
  });

  it('a placeholder that names nothing is accepted (recorded: undefined-string, reserved-unknown)', async () => {
    const { put, delivered } = await deliverThrough({
      InputTransformer: { InputTemplate: '"before <undefined> after"' },
    });
    expect(put).toMatchObject({ ok: true, output: { FailedEntryCount: 0, FailedEntries: [] } });
    expect(delivered).toEqual(['"before <undefined> after"']);
  });
});

describe('what targets receive', () => {
  it('values inside and outside quotes of a JSON template (recorded: typed-values, structured-embedded-quoted, missing-object)', async () => {
    const { delivered } = await deliverThrough({
      InputTransformer: {
        InputPathsMap: {
          text: '$.detail.text',
          number: '$.detail.number',
          object: '$.detail.object',
          quoted: '$.detail.quoted',
          missing: '$.detail.missing',
        },
        InputTemplate:
          '{"text":<text>,"number":<number>,"object":<object>,"say":"<quoted>!","missing":<missing>}',
      },
    });
    expect(delivered).toEqual([
      '{"text":"hello","number":42,"object":{"first":"one","second":2},"say":"say \\"hello\\"!","missing":""}',
    ]);
  });

  it('an object inside quotes is not JSON: INVALID_JSON to the dead-letter queue (recorded: structured-embedded-object)', async () => {
    const { delivered, dead } = await deliverThrough({
      InputTransformer: {
        InputPathsMap: { value: '$.detail.object' },
        InputTemplate: '{"value":"prefix <value> suffix"}',
      },
    });
    expect(delivered).toEqual([]);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.body).toBe('{"value":"prefix {"first":"one","second":2} suffix"}');
    expect(dead[0]!.attributes).toEqual({
      RULE_ARN: expect.stringMatching(/^arn:aws:events:us-east-1:123456789012:rule\/shop\/input-\d+$/),
      TARGET_ARN: expect.any(String),
      ERROR_CODE: 'INVALID_JSON',
      ERROR_MESSAGE: 'Invalid input for target.',
    });
  });

  it('a text template writes values raw (recorded: embedded-values, standalone-string)', async () => {
    const ok = await deliverThrough({
      InputTransformer: {
        InputPathsMap: { text: '$.detail.text', object: '$.detail.object' },
        InputTemplate: '"text=<text>; object=<object>"',
      },
    });
    expect(ok.delivered).toEqual(['"text=hello; object={first:one,second:2}"']);
    const bare = await deliverThrough({
      InputTransformer: { InputPathsMap: { value: '$.detail.text' }, InputTemplate: '<value>' },
    });
    expect(bare.delivered).toEqual([]);
    expect(bare.dead.map((d) => [d.body, d.attributes.ERROR_CODE])).toEqual([['hello', 'INVALID_JSON']]);
  });

  it('an empty payload is sent nowhere (recorded: input-empty, root-bare-typed-missing)', async () => {
    const empty = await deliverThrough({ Input: '' });
    expect([empty.delivered, empty.dead]).toEqual([[], []]);
    const missing = await deliverThrough({
      InputTransformer: { InputPathsMap: { value: '$.detail.missing' }, InputTemplate: '<value>' },
    });
    expect([missing.delivered, missing.dead]).toEqual([[], []]);
  });

  it('InputPath to a missing or null value delivers {} (recorded: path-missing, path-null, path-empty)', async () => {
    for (const InputPath of ['$.detail.missing', '$.detail.nothing', '']) {
      expect((await deliverThrough({ InputPath })).delivered).toEqual(['{}']);
    }
  });

  it("the predefined variables: a custom-bus rule ARN, ingestion time in milliseconds, AWS's aws.events.event keys (recorded: reserved)", async () => {
    const { delivered, rule } = await deliverThrough({
      InputTransformer: {
        InputTemplate:
          '{"name":<aws.events.rule-name>,"arn":<aws.events.rule-arn>,"ingested":<aws.events.event.ingestion-time>,"event":<aws.events.event>}',
      },
    });
    const out = JSON.parse(delivered[0]!) as {
      name: string;
      arn: string;
      ingested: string;
      event: Record<string, unknown>;
    };
    expect(out.name).toBe(rule);
    expect(out.arn).toBe(arn(`rule/shop/${rule}`));
    expect(out.ingested).toBe(new Date(api.clock.now()).toISOString());
    expect(Object.keys(out.event)).toEqual([
      'id',
      'account',
      'detailType',
      'time',
      'source',
      'region',
      'resources',
      'version',
    ]);
    expect(out.event).toMatchObject({
      detailType: 'input-probe',
      source: rule,
      time: Math.floor(api.clock.now() / 1000) * 1000,
    });
  });

  it('ListTargetsByRule shows the input settings, InputPathsMap by key (recorded: listed_input)', async () => {
    const { rule } = await deliverThrough({
      InputTransformer: {
        InputPathsMap: { text: '$.detail.text', array: '$.detail.array' },
        InputTemplate: '{"a":<array>}',
      },
    });
    const out = await api.client.send(new ListTargetsByRuleCommand({ Rule: rule, EventBusName: 'shop' }));
    expect(out.Targets?.[0]?.InputTransformer).toEqual({
      InputPathsMap: { array: '$.detail.array', text: '$.detail.text' },
      InputTemplate: '{"a":<array>}',
    });
    expect(Object.keys(out.Targets![0]!.InputTransformer!.InputPathsMap!)).toEqual(['array', 'text']);
  });
});

describe('rules made through the API run', () => {
  it('a rate rule fires its Scheduled Event at its targets', async () => {
    const Name = fresh('every-minute');
    await putRule({ Name, ScheduleExpression: 'rate(1 minute)' });
    await api.client.send(new PutTargetsCommand({ Rule: Name, Targets: [{ Id: 't', Arn: queue(Name) }] }));
    await api.clock.advance(60);
    const got = api.delivered.filter((d) => d.arn === queue(Name)).map((d) => JSON.parse(d.payload));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      resources: [arn(`rule/${Name}`)],
      detail: {},
    });
    await api.client.send(new DisableRuleCommand({ Name }));
    await api.clock.advance(120);
    expect(api.delivered.filter((d) => d.arn === queue(Name))).toHaveLength(1);
  });
});
