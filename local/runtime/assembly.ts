import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ResolveContext, resolve, UnresolvableError } from './intrinsics.ts';

/**
 * Loads a synthesized cloud assembly and turns every resource into what the local runtime runs:
 * local names, ARNs and fully resolved properties. A resource type the runtime neither runs nor
 * knows to be inert locally stops loading with a clear message naming it.
 */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

export interface LocalResource {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  /** Physical name (table, function, bus, queue, state machine ...). */
  readonly name: string;
  readonly arn: string;
  /** What `Ref` returns for this resource type. */
  readonly ref: string;
  readonly attributes: Record<string, string>;
  properties: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

export interface LoadedAssembly {
  readonly directory: string;
  readonly resources: LocalResource[];
  byType(type: string): LocalResource[];
  byArn(arn: string): LocalResource | undefined;
}

/** Types with behaviour the local runtime implements. */
export const RUNNABLE_TYPES = new Set([
  'AWS::DynamoDB::Table',
  'AWS::Lambda::Function',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::Events::EventBus',
  'AWS::Events::Rule',
  'AWS::Events::Archive',
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Stage',
  'AWS::ApiGatewayV2::Authorizer',
  'AWS::SQS::Queue',
  'AWS::SecretsManager::Secret',
  'AWS::StepFunctions::StateMachine',
  'AWS::Scheduler::Schedule',
  'AWS::Scheduler::ScheduleGroup',
  'AWS::Lambda::EventSourceMapping',
]);

/**
 * Types that only matter to AWS (permissions, logging, alarms, metadata): loaded, named, and
 * deliberately given no local behaviour. Listed one by one so a new type is never skipped by
 * accident.
 */
export const INERT_TYPES = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::Lambda::Permission',
  'AWS::Logs::LogGroup',
  'AWS::CloudWatch::Alarm',
  // Where the alarms notify (decision 27): alarms do not fire locally, so neither does the topic.
  'AWS::SNS::Topic',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::Subscription',
  'AWS::KMS::Key',
  'AWS::SQS::QueuePolicy',
  'AWS::CDK::Metadata',
  // The group of the SLA feature's run-time timers: a name (the Scheduler API serves its schedules).
  'AWS::Scheduler::ScheduleGroup',
  // The operations console's hosting (lib/constructs/console.ts): the runtime serves the build the
  // deployment names at /console instead (console.ts), and never runs CDK's deploy-time handler.
  'AWS::S3::Bucket',
  'AWS::S3::BucketPolicy',
  'AWS::CloudFront::Distribution',
  'AWS::CloudFront::OriginAccessControl',
  'AWS::CloudFront::ResponseHeadersPolicy',
  'AWS::Lambda::LayerVersion',
  'Custom::CDKBucketDeployment',
]);

export class UnsupportedResourceError extends Error {
  override readonly name = 'UnsupportedResourceError';
}

interface Template {
  Resources?: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

interface Manifest {
  artifacts: Record<
    string,
    { type: string; properties?: { templateFile?: string }; dependencies?: string[]; displayName?: string }
  >;
}

const sanitize = (s: string) => s.replace(/[^A-Za-z0-9-_]/g, '-');

function identity(stackName: string, logicalId: string, type: string, props: Record<string, unknown>) {
  const r = LOCAL_REGION;
  const a = LOCAL_ACCOUNT;
  const explicit = (key: string) => (typeof props[key] === 'string' ? (props[key] as string) : undefined);
  const generated = sanitize(`${stackName}-${logicalId}`);
  switch (type) {
    case 'AWS::DynamoDB::Table': {
      const name = explicit('TableName') ?? generated;
      const arn = `arn:aws:dynamodb:${r}:${a}:table/${name}`;
      return { name, arn, ref: name, attributes: { Arn: arn, StreamArn: `${arn}/stream/local` } };
    }
    case 'AWS::Lambda::Function': {
      const name = explicit('FunctionName') ?? generated;
      const arn = `arn:aws:lambda:${r}:${a}:function:${name}`;
      return { name, arn, ref: name, attributes: { Arn: arn } };
    }
    case 'AWS::Events::EventBus': {
      const name = explicit('Name') ?? generated;
      const arn = `arn:aws:events:${r}:${a}:event-bus/${name}`;
      return { name, arn, ref: name, attributes: { Arn: arn, Name: name } };
    }
    case 'AWS::Events::Rule': {
      const name = explicit('Name') ?? generated;
      const arn = `arn:aws:events:${r}:${a}:rule/${name}`;
      return { name, arn, ref: name, attributes: { Arn: arn } };
    }
    case 'AWS::Events::Archive': {
      const name = explicit('ArchiveName') ?? generated;
      const arn = `arn:aws:events:${r}:${a}:archive/${name}`;
      return { name, arn, ref: name, attributes: { Arn: arn } };
    }
    case 'AWS::SQS::Queue': {
      const name = explicit('QueueName') ?? generated;
      const arn = `arn:aws:sqs:${r}:${a}:${name}`;
      const url = `http://sqs.${r}.localhost/${a}/${name}`;
      return { name, arn, ref: url, attributes: { Arn: arn, QueueName: name, QueueUrl: url } };
    }
    case 'AWS::SecretsManager::Secret': {
      const name = explicit('Name') ?? generated;
      const arn = `arn:aws:secretsmanager:${r}:${a}:secret:${name}`;
      return { name, arn, ref: arn, attributes: { Id: arn } };
    }
    case 'AWS::StepFunctions::StateMachine': {
      const name = explicit('StateMachineName') ?? generated;
      const arn = `arn:aws:states:${r}:${a}:stateMachine:${name}`;
      return { name, arn, ref: arn, attributes: { Arn: arn, Name: name } };
    }
    case 'AWS::ApiGatewayV2::Api': {
      const name = explicit('Name') ?? generated;
      return {
        name,
        arn: `local:api:${name}`,
        ref: sanitize(logicalId),
        attributes: { ApiEndpoint: 'http://127.0.0.1' },
      };
    }
    case 'AWS::Logs::LogGroup': {
      const name = explicit('LogGroupName') ?? `/local/${generated}`;
      const arn = `arn:aws:logs:${r}:${a}:log-group:${name}:*`;
      return { name, arn, ref: name, attributes: { Arn: arn } };
    }
    case 'AWS::Scheduler::ScheduleGroup': {
      const name = explicit('Name') ?? generated;
      const arn = `arn:aws:scheduler:${r}:${a}:schedule-group/${name}`;
      return { name, arn, ref: name, attributes: { Arn: arn, State: 'ACTIVE' } };
    }
    case 'AWS::Scheduler::Schedule': {
      // GroupName may be a Ref to a group: schedulerArn() completes the ARN once references resolve.
      const name = explicit('Name') ?? generated;
      const arn = `arn:aws:scheduler:${r}:${a}:schedule/${explicit('GroupName') ?? 'default'}/${name}`;
      return { name, arn, ref: name, attributes: { Arn: arn } };
    }
    case 'AWS::CloudFront::Distribution': {
      // Locally the console is served by the runtime itself: its origin is the runtime's.
      return {
        name: generated,
        arn: `local:cloudfront:${generated}`,
        ref: generated,
        attributes: { DomainName: 'localhost', Id: generated },
      };
    }
    case 'AWS::IAM::Role': {
      const name = explicit('RoleName') ?? generated;
      const arn = `arn:aws:iam::${a}:role/${name}`;
      return { name, arn, ref: name, attributes: { Arn: arn, RoleId: name } };
    }
    default:
      return {
        name: generated,
        arn: `local:${type}:${generated}`,
        ref: generated,
        attributes: {} as Record<string, string>,
      };
  }
}

export function loadAssembly(directory: string): LoadedAssembly {
  const manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as Manifest;
  const stacks = Object.entries(manifest.artifacts)
    .filter(([, a]) => a.type === 'aws:cloudformation:stack')
    .map(([id, a]) => ({
      stackName: a.displayName ?? id,
      template: JSON.parse(
        readFileSync(join(directory, a.properties?.templateFile ?? `${id}.template.json`), 'utf8'),
      ) as Template,
    }));

  const resources: LocalResource[] = [];
  const byStack = new Map<string, Map<string, LocalResource>>();
  for (const { stackName, template } of stacks) {
    const local = new Map<string, LocalResource>();
    byStack.set(stackName, local);
    for (const [logicalId, raw] of Object.entries(template.Resources ?? {})) {
      if (!RUNNABLE_TYPES.has(raw.Type) && !INERT_TYPES.has(raw.Type)) {
        throw new UnsupportedResourceError(
          `${stackName}/${logicalId}: resource type ${raw.Type} is not supported by the local runtime`,
        );
      }
      const resource: LocalResource = {
        stackName,
        logicalId,
        type: raw.Type,
        ...identity(stackName, logicalId, raw.Type, raw.Properties ?? {}),
        properties: raw.Properties ?? {},
        metadata: raw.Metadata ?? {},
      };
      local.set(logicalId, resource);
      resources.push(resource);
    }
  }

  const contextFor = (stackName: string): ResolveContext => ({
    stackName,
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT,
    ref: (id) => byStack.get(stackName)?.get(id)?.ref,
    getAtt: (id, attribute) => byStack.get(stackName)?.get(id)?.attributes[attribute],
    importValue: (name) => exports.get(name),
  });

  // A schedule's ARN names its group, which may be a reference to a group in the same stack.
  for (const [i, r] of resources.entries()) {
    if (r.type !== 'AWS::Scheduler::Schedule' || typeof r.properties.GroupName !== 'object') continue;
    let group: unknown;
    try {
      group = resolve(contextFor(r.stackName), r.properties.GroupName, `${r.stackName}/${r.logicalId}`);
    } catch {
      continue; // reported when the properties are resolved below
    }
    const arn = `arn:aws:scheduler:${LOCAL_REGION}:${LOCAL_ACCOUNT}:schedule/${String(group)}/${r.name}`;
    const fixed: LocalResource = { ...r, arn, attributes: { ...r.attributes, Arn: arn } };
    resources[i] = fixed;
    byStack.get(r.stackName)!.set(r.logicalId, fixed);
  }

  // Exports resolve lazily: one stack's outputs may refer to its own resources only.
  const exports = new Map<string, string>();
  for (const { stackName, template } of stacks) {
    for (const output of Object.values(template.Outputs ?? {})) {
      if (!output.Export) continue;
      const ctx = contextFor(stackName);
      exports.set(String(resolve(ctx, output.Export.Name)), String(resolve(ctx, output.Value)));
    }
  }

  for (const resource of resources) {
    try {
      resource.properties = resolve(
        contextFor(resource.stackName),
        resource.properties,
        `${resource.stackName}/${resource.logicalId}`,
      ) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof UnresolvableError && INERT_TYPES.has(resource.type)) continue; // never read locally
      throw error;
    }
  }

  return {
    directory,
    resources,
    byType: (type) => resources.filter((r) => r.type === type),
    byArn: (arn) => resources.find((r) => r.arn === arn),
  };
}
