import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { inject } from 'vitest';
import { createApp } from '#lib/app';
import {
  createEngine,
  createTaskRouter,
  type Engine,
  MemoryStore,
  VirtualClock,
} from '../../local/engine/index.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Part = string | { Ref?: string; 'Fn::GetAtt'?: [string, string] };

const cached = new Map<'app' | 'stateful', Template>();
/**
 * The real app's application stack (or its stateful stack), synthesized without bundling: read
 * from the assembly the global setup made (`appTemplateAssembly`), or synthesized here once per
 * test file where there is no global setup (the fast tier).
 */
export function appTemplate(stack: 'app' | 'stateful' = 'app'): Template {
  const hit = cached.get(stack);
  if (hit) return hit;
  const assembly = inject('appTemplateAssembly') as string | undefined;
  let template: Template;
  if (assembly === undefined) {
    const built = createApp({ context: { 'aws:cdk:bundling-stacks': [] } });
    template = Template.fromStack(stack === 'app' ? built.application : built.stateful);
  } else {
    const found = new CloudAssembly(assembly).stacks.filter((a) => a.stackName.endsWith(`-${stack}`));
    if (found.length !== 1) throw new Error(`expected one ${stack} stack in ${assembly}`);
    template = Template.fromJSON(found[0]!.template);
  }
  cached.set(stack, template);
  return template;
}

/**
 * A synthesized state machine's JSON, picked by its construct path (`Presale/OrderWorkflow`).
 * CloudFormation holds the definition as an `Fn::Join` of text, pseudo parameters and the ARNs of
 * the functions it invokes; here the pseudo parameters become local values and each function's ARN
 * `functionArn(<function's logical id>)`. The stack is also returned with the text in place
 * (`definitionTemplate`), for `Match.serializedJson`.
 */
export function synthesizedWorkflow(
  path: string,
  functionArn: (logicalId: string) => string = (id) => `arn:aws:lambda:us-east-1:000000000000:function:${id}`,
) {
  const app = appTemplate();
  const json = app.toJSON() as { Resources: Record<string, Resource> };
  const prefix = path.replaceAll('/', '');
  const ids = Object.keys(json.Resources).filter(
    (id) => json.Resources[id]!.Type === 'AWS::StepFunctions::StateMachine' && id.startsWith(prefix),
  );
  if (ids.length !== 1)
    throw new Error(`expected one state machine under ${path}; found ${ids.join(', ') || 'none'}`);
  const id = ids[0]!;
  const resource = json.Resources[id]!;
  const join = (resource.Properties.DefinitionString as { 'Fn::Join': [string, Part[]] })['Fn::Join'];
  const definition = join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      if (part.Ref === 'AWS::Partition') return 'aws';
      if (part.Ref === 'AWS::Region') return 'us-east-1';
      if (part.Ref === 'AWS::AccountId') return '000000000000';
      const att = part['Fn::GetAtt'];
      if (att) return functionArn(att[0]);
      throw new Error(`cannot resolve ${JSON.stringify(part)} in ${path}'s definition`);
    })
    .join(join[0]);
  const resources = {
    ...json.Resources,
    [id]: { ...resource, Properties: { ...resource.Properties, DefinitionString: definition } },
  };
  return { app, logicalId: id, definitionTemplate: Template.fromJSON({ Resources: resources }), definition };
}

/**
 * A workflow on the local engine in memory with a virtual clock, its task functions answered by
 * `invoke` (the real domain steps over in-memory ports, with whatever faults a test injects).
 */
export async function workflowHarness(options: {
  readonly definition: string;
  readonly invoke: (functionArn: string, payload: unknown) => Promise<unknown>;
  readonly start?: number;
}) {
  const clock = new VirtualClock(options.start ?? Date.parse('2026-11-01T00:00:00.000Z'));
  const engine: Engine = await createEngine({
    store: new MemoryStore(),
    clock,
    taskHandler: createTaskRouter({ invokeLambda: (name, payload) => options.invoke(name, payload) }),
  });
  const { stateMachineArn } = await engine.createStateMachine({
    name: 'workflow-under-test',
    definition: options.definition,
  });
  const history = async (executionArn: string) =>
    (await engine.getExecutionHistory({ executionArn, maxResults: 1000 })).events as Array<{
      type: string;
      timestamp: Date | string | number;
      stateEnteredEventDetails?: { name: string };
    }>;
  return {
    clock,
    engine,
    stateMachineArn,
    history,
    async start(name: string, input: unknown): Promise<string> {
      const { executionArn } = await engine.startExecution({
        stateMachineArn,
        name,
        input: JSON.stringify(input),
      });
      await clock.advance(0);
      return executionArn;
    },
    describe: (executionArn: string) => engine.describeExecution({ executionArn }),
    /** Advances virtual time timer by timer while `busy` holds (retries, backoff), never past `limitSeconds`. */
    async runWhile(busy: () => Promise<boolean>, limitSeconds: number): Promise<void> {
      const limit = clock.now() + limitSeconds * 1000;
      await clock.advance(0);
      while (await busy()) {
        const next = clock.nextDue();
        if (next === undefined || next > limit) break;
        await clock.advanceTo(next);
      }
    },
    /** The task state the run last entered, unless the run has ended. */
    async lastTaskState(executionArn: string): Promise<string | undefined> {
      const events = await history(executionArn);
      if (/Execution(Succeeded|Failed|TimedOut|Aborted)/.test(events.at(-1)?.type ?? '')) return undefined;
      return events.filter((e) => e.type === 'TaskStateEntered').at(-1)?.stateEnteredEventDetails?.name;
    },
  };
}
export type WorkflowHarness = Awaited<ReturnType<typeof workflowHarness>>;
