import { existsSync as exists } from 'node:fs';
import { join } from 'node:path';
import type {
  ArchiveSpec,
  RetryPolicy,
  RuleSpec,
  SchedulerScheduleSpec,
  TargetSpec,
} from '../eventbridge/bus.ts';
import type { EventSourceMappingSpec, QueueSpec } from '../sqs/queues.ts';
import type { HttpRoute } from './apigw.ts';
import {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LoadedAssembly,
  type LocalResource,
  UnsupportedResourceError,
} from './assembly.ts';
import type { InvokeConfig } from './async-invoke.ts';
import type { LocalFunctionSpec } from './lambda.ts';

/**
 * Reads what each runnable resource of a loaded assembly means to the local runtime, from its
 * resolved CloudFormation properties. Anything the runtime cannot honour is refused by name.
 */

type Props = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined =>
  typeof v === 'number'
    ? v
    : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
      ? Number(v)
      : undefined;
const where = (r: LocalResource) => `${r.stackName}/${r.logicalId}`;
const refuse = (r: LocalResource, what: string): never => {
  throw new UnsupportedResourceError(
    `${where(r)} (${r.type}): ${what} is not supported by the local runtime`,
  );
};

/**
 * The functions that serve CloudFormation custom resources the runtime treats as deploy-time only
 * (CDK's BucketDeployment for the console): CloudFormation calls them while deploying, nothing
 * calls them at run time, so they are not run (their runtime may not even be Node.js).
 */
function deployTimeFunctions(assembly: LoadedAssembly): Set<string> {
  const handlers = new Set<string>();
  for (const r of assembly.byType('Custom::CDKBucketDeployment')) {
    // resolved to the function's ARN, or left as written when the resource did not resolve
    const token = (r.properties as Props).ServiceToken as unknown;
    const getAtt = (token as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt'];
    if (typeof token === 'string') handlers.add(token);
    else if (Array.isArray(getAtt) && typeof getAtt[0] === 'string')
      handlers.add(`${r.stackName}/${getAtt[0]}`);
  }
  return handlers;
}

/** The app's functions the runtime runs (all but deploy-time handlers). */
export function runtimeFunctions(assembly: LoadedAssembly): LocalResource[] {
  const deployTime = deployTimeFunctions(assembly);
  return assembly
    .byType('AWS::Lambda::Function')
    .filter((r) => !deployTime.has(r.arn) && !deployTime.has(`${r.stackName}/${r.logicalId}`));
}

/**
 * The built console a deployment in the assembly carries (the directory its asset was bundled
 * into, named by the construct's metadata), or undefined when the app has none.
 */
export function consoleAssetDir(assembly: LoadedAssembly): string | undefined {
  for (const r of assembly.byType('Custom::CDKBucketDeployment')) {
    const path = str(r.metadata['storeflow:console']); // CONSOLE_ASSET_METADATA in lib/constructs/console.ts
    if (path) return join(assembly.directory, path);
  }
  return undefined;
}

export function functionSpecs(
  assembly: LoadedAssembly,
  baseEnv: Record<string, string>,
): LocalFunctionSpec[] {
  return runtimeFunctions(assembly).map((r) => {
    const p = r.properties as Props;
    const runtime = str(p.Runtime) ?? '';
    if (!/^nodejs\d+\.x$/.test(runtime)) refuse(r, `runtime "${runtime || 'container image'}"`);
    const asset = str(r.metadata['aws:asset:path']);
    if (!asset) refuse(r, 'code without a local asset (aws:asset:path metadata)');
    const handler = str(p.Handler) ?? 'index.handler';
    const dot = handler.lastIndexOf('.');
    const modulePath = handler.slice(0, dot);
    const dir = join(assembly.directory, asset!);
    const file = ['.mjs', '.js', '.cjs']
      .map((ext) => join(dir, `${modulePath}${ext}`))
      .find((f) => exists(f));
    if (!file) refuse(r, `handler ${handler}: no ${modulePath}.mjs/.js in ${dir}`);
    const variables = ((p.Environment as Props | undefined)?.Variables ?? {}) as Record<string, unknown>;
    const memorySize = num(p.MemorySize) ?? 128;
    return {
      name: r.name,
      arn: r.arn,
      file: file!,
      exportName: handler.slice(dot + 1),
      environment: {
        ...baseEnv,
        ...Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
        AWS_LAMBDA_FUNCTION_NAME: r.name,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
        AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
      },
      timeoutSeconds: num(p.Timeout) ?? 3,
      memorySize,
    };
  });
}

export function invokeConfigs(assembly: LoadedAssembly): Map<string, InvokeConfig> {
  const configs = new Map<string, InvokeConfig>();
  const functions = runtimeFunctions(assembly);
  for (const r of assembly.byType('AWS::Lambda::EventInvokeConfig')) {
    const p = r.properties as Props;
    const name = str(p.FunctionName) ?? '';
    const fn = functions.find((f) => f.name === name || f.arn === name);
    if (!fn) refuse(r, `function ${name} (not in the app)`);
    const destinations = (p.DestinationConfig ?? {}) as { OnSuccess?: Props; OnFailure?: Props };
    configs.set(fn!.arn, {
      maximumRetryAttempts: num(p.MaximumRetryAttempts) ?? 2,
      maximumEventAgeSeconds: num(p.MaximumEventAgeInSeconds) ?? 21_600,
      ...(str(destinations.OnSuccess?.Destination)
        ? { onSuccess: str(destinations.OnSuccess?.Destination)! }
        : {}),
      ...(str(destinations.OnFailure?.Destination)
        ? { onFailure: str(destinations.OnFailure?.Destination)! }
        : {}),
    });
  }
  return configs;
}

export function queueSpecs(assembly: LoadedAssembly): QueueSpec[] {
  return assembly.byType('AWS::SQS::Queue').map((r) => {
    const p = r.properties as Props;
    const redrive = p.RedrivePolicy as
      | { deadLetterTargetArn?: string; maxReceiveCount?: unknown }
      | undefined;
    return {
      name: r.name,
      arn: r.arn,
      url: r.ref,
      ...(p.FifoQueue === true || p.FifoQueue === 'true' ? { fifo: true } : {}),
      ...(num(p.VisibilityTimeout) !== undefined
        ? { visibilityTimeoutSeconds: num(p.VisibilityTimeout)! }
        : {}),
      ...(num(p.MessageRetentionPeriod) !== undefined
        ? { messageRetentionSeconds: num(p.MessageRetentionPeriod)! }
        : {}),
      ...(num(p.DelaySeconds) !== undefined ? { delaySeconds: num(p.DelaySeconds)! } : {}),
      ...(num(p.MaximumMessageSize) !== undefined ? { maximumMessageSize: num(p.MaximumMessageSize)! } : {}),
      ...(p.ContentBasedDeduplication === true || p.ContentBasedDeduplication === 'true'
        ? { contentBasedDeduplication: true }
        : {}),
      ...(num(p.ReceiveMessageWaitTimeSeconds) !== undefined
        ? { receiveMessageWaitTimeSeconds: num(p.ReceiveMessageWaitTimeSeconds)! }
        : {}),
      ...(redrive?.deadLetterTargetArn
        ? {
            redrivePolicy: {
              deadLetterTargetArn: redrive.deadLetterTargetArn,
              maxReceiveCount: num(redrive.maxReceiveCount) ?? 10,
            },
          }
        : {}),
    };
  });
}

export function eventSourceMappings(
  assembly: LoadedAssembly,
  functionArn: (nameOrArn: string) => string,
): EventSourceMappingSpec[] {
  return assembly.byType('AWS::Lambda::EventSourceMapping').map((r) => {
    const p = r.properties as Props;
    const source = str(p.EventSourceArn) ?? '';
    if (!source.startsWith('arn:aws:sqs:')) refuse(r, `event source ${source || '(none)'} (only SQS queues)`);
    const types = (p.FunctionResponseTypes as string[] | undefined) ?? [];
    const scaling = p.ScalingConfig as { MaximumConcurrency?: unknown } | undefined;
    return {
      uuid: r.name,
      queueArn: source,
      functionArn: functionArn(str(p.FunctionName) ?? ''),
      ...(num(p.BatchSize) !== undefined ? { batchSize: num(p.BatchSize)! } : {}),
      ...(num(p.MaximumBatchingWindowInSeconds) !== undefined
        ? { maximumBatchingWindowSeconds: num(p.MaximumBatchingWindowInSeconds)! }
        : {}),
      reportBatchItemFailures: types.includes('ReportBatchItemFailures'),
      enabled: p.Enabled !== false && p.Enabled !== 'false',
      ...(num(scaling?.MaximumConcurrency) !== undefined
        ? { maximumConcurrency: num(scaling?.MaximumConcurrency)! }
        : {}),
    };
  });
}

export function stateMachines(assembly: LoadedAssembly) {
  return assembly.byType('AWS::StepFunctions::StateMachine').map((r) => {
    const p = r.properties as Props;
    let definition = str(p.DefinitionString) ?? (p.Definition ? JSON.stringify(p.Definition) : undefined);
    if (definition === undefined) refuse(r, 'a definition from S3 (DefinitionS3Location)');
    for (const [key, value] of Object.entries((p.DefinitionSubstitutions ?? {}) as Props)) {
      definition = definition!.split(`\${${key}}`).join(String(value));
    }
    const type = (str(p.StateMachineType) ?? 'STANDARD') as 'STANDARD' | 'EXPRESS';
    return { name: r.name, arn: r.arn, definition: definition!, type };
  });
}

export function busSpecs(assembly: LoadedAssembly) {
  return assembly.byType('AWS::Events::EventBus').map((r) => ({ name: r.name, arn: r.arn }));
}

const busArnOf = (nameOrArn: string | undefined) =>
  nameOrArn?.startsWith('arn:')
    ? nameOrArn
    : `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${nameOrArn ?? 'default'}`;

/** A target's RetryPolicy (rules and Scheduler share the shape). */
function retryPolicyOf(raw: unknown): { retryPolicy: RetryPolicy } | Record<string, never> {
  const retry = raw as { MaximumRetryAttempts?: unknown; MaximumEventAgeInSeconds?: unknown } | undefined;
  if (!retry) return {};
  const attempts = num(retry.MaximumRetryAttempts);
  const age = num(retry.MaximumEventAgeInSeconds);
  return {
    retryPolicy: {
      ...(attempts !== undefined ? { maximumRetryAttempts: attempts } : {}),
      ...(age !== undefined ? { maximumEventAgeInSeconds: age } : {}),
    },
  };
}

/** A target's DeadLetterConfig, as the queue ARN. */
const deadLetterOf = (raw: unknown): { deadLetterArn: string } | Record<string, never> => {
  const arn = str((raw as Props | undefined)?.Arn);
  return arn ? { deadLetterArn: arn } : {};
};

function targetSpec(r: LocalResource, t: Props): TargetSpec {
  const transformer = t.InputTransformer as
    | { InputPathsMap?: Record<string, string>; InputTemplate?: string }
    | undefined;
  const arn = str(t.Arn) ?? refuse(r, 'a target without an Arn');
  if (
    t.EcsParameters ||
    t.BatchParameters ||
    t.KinesisParameters ||
    t.RedshiftDataParameters ||
    t.HttpParameters
  ) {
    refuse(r, `target ${String(t.Id)} parameters`);
  }
  return {
    id: str(t.Id) ?? arn,
    arn,
    ...(str(t.Input) !== undefined ? { input: str(t.Input)! } : {}),
    ...(str(t.InputPath) !== undefined ? { inputPath: str(t.InputPath)! } : {}),
    ...(transformer?.InputTemplate !== undefined
      ? {
          inputTransformer: {
            inputTemplate: transformer.InputTemplate,
            ...(transformer.InputPathsMap ? { inputPathsMap: transformer.InputPathsMap } : {}),
          },
        }
      : {}),
    ...retryPolicyOf(t.RetryPolicy),
    ...deadLetterOf(t.DeadLetterConfig),
  };
}

export function ruleSpecs(assembly: LoadedAssembly): RuleSpec[] {
  return assembly.byType('AWS::Events::Rule').map((r) => {
    const p = r.properties as Props;
    const bus = str(p.EventBusName) ?? 'default';
    const busName = bus.startsWith('arn:') ? bus.split('/').at(-1)! : bus;
    return {
      name: r.name,
      // EventBridge names a rule of a custom bus rule/<bus>/<name> (a default-bus rule rule/<name>)
      arn: busName === 'default' ? r.arn : r.arn.replace(/:rule\/([^/]+)$/, `:rule/${busName}/$1`),
      busName,
      ...(p.EventPattern !== undefined ? { eventPattern: p.EventPattern } : {}),
      ...(str(p.ScheduleExpression) ? { scheduleExpression: str(p.ScheduleExpression)! } : {}),
      state: str(p.State) === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      targets: ((p.Targets ?? []) as Props[]).map((t) => targetSpec(r, t)),
    };
  });
}

/**
 * The queues the app uses as dead-letter queues: of its rules' and schedules' targets, of its
 * functions' asynchronous invocations (OnFailure) and of other queues (RedrivePolicy), by ARN.
 */
export function deadLetterQueueArns(assembly: LoadedAssembly): Set<string> {
  const arns = new Set<string>();
  for (const rule of ruleSpecs(assembly))
    for (const t of rule.targets) if (t.deadLetterArn) arns.add(t.deadLetterArn);
  for (const schedule of schedulerSchedules(assembly)) {
    if (schedule.target.deadLetterArn) arns.add(schedule.target.deadLetterArn);
  }
  for (const config of invokeConfigs(assembly).values()) {
    if (config.onFailure?.split(':')[2] === 'sqs') arns.add(config.onFailure);
  }
  for (const queue of queueSpecs(assembly)) {
    if (queue.redrivePolicy) arns.add(queue.redrivePolicy.deadLetterTargetArn);
  }
  return arns;
}

export function archiveSpecs(assembly: LoadedAssembly): ArchiveSpec[] {
  return assembly.byType('AWS::Events::Archive').map((r) => {
    const p = r.properties as Props;
    return {
      name: r.name,
      arn: r.arn,
      busArn: busArnOf(str(p.SourceArn)),
      ...(p.EventPattern !== undefined ? { eventPattern: p.EventPattern } : {}),
      ...(num(p.RetentionDays) !== undefined ? { retentionDays: num(p.RetentionDays)! } : {}),
    };
  });
}

export function schedulerSchedules(assembly: LoadedAssembly): SchedulerScheduleSpec[] {
  return assembly.byType('AWS::Scheduler::Schedule').map((r) => {
    const p = r.properties as Props;
    const target = (p.Target ?? {}) as Props;
    const window = p.FlexibleTimeWindow as { Mode?: string; MaximumWindowInMinutes?: unknown } | undefined;
    const arn = str(target.Arn) ?? refuse(r, 'a schedule without a target Arn');
    if (arn.startsWith('arn:aws:scheduler:::aws-sdk:')) refuse(r, `universal target ${arn}`);
    return {
      name: r.name,
      ...(str(p.GroupName) ? { groupName: str(p.GroupName)! } : {}),
      arn: r.arn,
      ...(str(p.Description) !== undefined ? { description: str(p.Description)! } : {}),
      scheduleExpression: str(p.ScheduleExpression) ?? refuse(r, 'a schedule without ScheduleExpression'),
      ...(str(p.ScheduleExpressionTimezone) ? { timezone: str(p.ScheduleExpressionTimezone)! } : {}),
      ...(str(p.StartDate) ? { startDate: str(p.StartDate)! } : {}),
      ...(str(p.EndDate) ? { endDate: str(p.EndDate)! } : {}),
      state: str(p.State) === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      ...(window?.Mode === 'FLEXIBLE' && num(window.MaximumWindowInMinutes) !== undefined
        ? { flexibleWindowMinutes: num(window.MaximumWindowInMinutes)! }
        : {}),
      target: {
        arn,
        ...(str(target.RoleArn) ? { roleArn: str(target.RoleArn)! } : {}),
        ...(str(target.Input) !== undefined ? { input: str(target.Input)! } : {}),
        ...retryPolicyOf(target.RetryPolicy),
        ...deadLetterOf(target.DeadLetterConfig),
      },
      ...(str(p.ActionAfterCompletion) === 'DELETE' ? { actionAfterCompletion: 'DELETE' as const } : {}),
    };
  });
}

/** EventBridge Scheduler schedule groups (the Scheduler API knows them, with `default`). */
export function scheduleGroups(assembly: LoadedAssembly): Array<{ name: string; arn: string }> {
  return assembly.byType('AWS::Scheduler::ScheduleGroup').map((r) => ({ name: r.name, arn: r.arn }));
}

export function httpRoutes(assembly: LoadedAssembly): HttpRoute[] {
  const integrations = new Map(assembly.byType('AWS::ApiGatewayV2::Integration').map((i) => [i.ref, i]));
  return assembly.byType('AWS::ApiGatewayV2::Route').map((r) => {
    const p = r.properties as Props;
    const target = str(p.Target) ?? refuse(r, 'a route without an integration target');
    const integration = integrations.get(target.replace(/^integrations\//, ''));
    if (!integration) refuse(r, `target ${target} (no such integration)`);
    const ip = integration!.properties as Props;
    if (str(ip.IntegrationType) !== 'AWS_PROXY')
      refuse(integration!, `integration type ${String(ip.IntegrationType)}`);
    const uri = str(ip.IntegrationUri) ?? '';
    const functionArn = /arn:aws:lambda:[^:]+:[^:]+:function:[^/:]+/.exec(uri)?.[0] ?? uri;
    if (!functionArn.startsWith('arn:aws:lambda:'))
      refuse(integration!, `integration URI ${uri} (only Lambda)`);
    const payloadFormatVersion = str(ip.PayloadFormatVersion) ?? '2.0';
    if (payloadFormatVersion !== '2.0') refuse(integration!, `payload format ${payloadFormatVersion}`);
    return {
      routeKey: str(p.RouteKey) ?? refuse(r, 'a route without RouteKey'),
      functionArn,
      authorizationType: str(p.AuthorizationType) ?? 'NONE',
      payloadFormatVersion,
    };
  });
}
