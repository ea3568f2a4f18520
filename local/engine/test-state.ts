/**
 * TestState (the Step Functions API action that runs one state with a given input), served locally.
 *
 * The state runs in a private core of its own (in memory, on a virtual clock, so a Wait does not
 * wait): the state under test, and for every state it can transition to a stand-in Succeed state,
 * so the run stops right after it. A `mock` answers a Task (or a whole Map/Parallel, then run as a
 * task) with a result or an error instead of calling the integration. Retry is not carried out: a
 * matching retrier with attempts left (`stateConfiguration.retrierRetryCount` used so far) ends the
 * test as RETRIABLE with the retrier's index and back-off; a matching catcher as CAUGHT_ERROR with
 * its Next. `inspectionLevel` DEBUG/TRACE adds the data-processing steps (`inspectionData`).
 */
import type { Catcher, ChoiceRule } from './asl.ts';
import { VirtualClock } from './clock.ts';
import type { Core } from './core.ts';
import { Core as PrivateCore } from './core.ts';
import { ApiError } from './errors.ts';
import { expandDetails } from './history.ts';
import { writePath } from './jsonpath.ts';
import { MockConfig } from './mocks.ts';
import { applyPath, evalTemplate } from './payload.ts';
import { MemoryStore } from './store.ts';
import type { HistoryEvent, Json, JsonObject, QueryLanguage } from './types.ts';
import { isObject } from './types.ts';
import { formatProblems, validateDefinition } from './validate.ts';

export interface TestStateRequest {
  definition: string;
  roleArn?: string;
  input?: string;
  inspectionLevel?: 'INFO' | 'DEBUG' | 'TRACE';
  revealSecrets?: boolean;
  variables?: string;
  stateName?: string;
  mock?: { result?: string; errorOutput?: { error?: string; cause?: string }; fieldValidationMode?: string };
  context?: string;
  stateConfiguration?: {
    retrierRetryCount?: number;
    errorCausedByState?: string;
    mapIterationFailureCount?: number;
    mapItemReaderData?: string;
  };
}

export interface TestStateResponse {
  status: 'SUCCEEDED' | 'FAILED' | 'RETRIABLE' | 'CAUGHT_ERROR';
  output?: string;
  error?: string;
  cause?: string;
  nextState?: string;
  inspectionData?: Record<string, unknown>;
}

type RawState = { [key: string]: unknown; Type?: string };

const invalid = (message: string) => new ApiError('ValidationException', message);

const parseJson = (text: string | undefined, field: string, fallback: Json): Json => {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw field === 'input'
      ? new ApiError(
          'InvalidExecutionInput',
          `Invalid State Machine Execution Input: '${field} is not valid JSON'`,
        )
      : invalid(`Invalid ${field}: not valid JSON`);
  }
};

/** The state named `name` anywhere in a machine (top level first, then branches and processors). */
const findState = (
  machine: JsonObject,
  name: string,
  inherited: QueryLanguage,
): { state: RawState; lang: QueryLanguage } | undefined => {
  const lang = (machine.QueryLanguage as QueryLanguage | undefined) ?? inherited;
  const states = isObject(machine.States) ? machine.States : {};
  const own = states[name];
  if (isObject(own)) return { state: own as RawState, lang };
  for (const st of Object.values(states)) {
    if (!isObject(st)) continue;
    const sl = (st.QueryLanguage as QueryLanguage | undefined) ?? lang;
    const subs = [
      ...(Array.isArray(st.Branches) ? st.Branches : []),
      ...(isObject(st.ItemProcessor) ? [st.ItemProcessor] : []),
      ...(isObject(st.Iterator) ? [st.Iterator] : []),
    ];
    for (const sub of subs) {
      if (!isObject(sub)) continue;
      const found = findState(sub, name, sl);
      if (found) return found;
    }
  }
  return undefined;
};

/** Every state name the state can transition to (Next, Default, Choice rules, catchers). */
const successors = (st: RawState): string[] => {
  const out = new Set<string>();
  if (typeof st.Next === 'string') out.add(st.Next);
  if (typeof st.Default === 'string') out.add(st.Default);
  for (const r of (Array.isArray(st.Choices) ? st.Choices : []) as ChoiceRule[]) {
    if (typeof r.Next === 'string') out.add(r.Next);
  }
  for (const c of (Array.isArray(st.Catch) ? st.Catch : []) as Catcher[]) {
    if (typeof c.Next === 'string') out.add(c.Next);
  }
  return [...out];
};

/** A mocked Map or Parallel runs as one task answering the mock, with the state's own processing. */
const asMockedTask = (st: RawState): RawState => {
  const keep = [
    'InputPath',
    'ResultSelector',
    'ResultPath',
    'OutputPath',
    'Output',
    'Assign',
    'Retry',
    'Catch',
    'Next',
    'End',
    'QueryLanguage',
    'Comment',
  ];
  const out: RawState = { Type: 'Task', Resource: `arn:aws:states:::local:mock${st.Type}` };
  for (const k of keep) if (st[k] !== undefined) out[k] = st[k];
  return out;
};

const needsMock = (st: RawState): string | undefined => {
  if (st.Type === 'Map' || st.Type === 'Parallel') return `${st.Type} states`;
  const r = typeof st.Resource === 'string' ? st.Resource : '';
  if (r.endsWith('.waitForTaskToken') || /\.sync(:2)?$/.test(r))
    return '.sync and .waitForTaskToken integration patterns';
  if (/^arn:aws[a-z-]*:states:[^:]+:[^:]+:activity:/.test(r)) return 'Activity tasks';
  return undefined;
};

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** TestState: run one state (see the module comment). */
export const testState = async (main: Core, req: TestStateRequest): Promise<TestStateResponse> => {
  if (typeof req.definition !== 'string') throw invalid('definition is required');
  let def: Json;
  try {
    def = JSON.parse(req.definition) as Json;
  } catch (e) {
    throw new ApiError(
      'InvalidDefinition',
      `Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: ${(e as Error).message}'`,
    );
  }
  if (!isObject(def))
    throw new ApiError(
      'InvalidDefinition',
      "Invalid State Machine Definition: 'definition must be an object'",
    );
  const name = req.stateName ?? 'TestState';
  let state: RawState;
  let lang: QueryLanguage;
  if (req.stateName !== undefined) {
    const found = findState(def, req.stateName, 'JSONPath');
    if (!found) throw invalid(`State '${req.stateName}' does not exist in the definition`);
    state = found.state;
    lang = found.lang;
  } else {
    state = def as RawState;
    lang = (state.QueryLanguage as QueryLanguage | undefined) ?? 'JSONPath';
  }
  const mock = req.mock;
  if (mock && !['Task', 'Map', 'Parallel'].includes(String(state.Type))) {
    throw invalid('A mock can only be specified for Task, Map, or Parallel states');
  }
  if (mock && (mock.result === undefined) === (mock.errorOutput === undefined)) {
    throw invalid('A mock has exactly one of result and errorOutput');
  }
  if (req.context !== undefined && !mock) throw invalid('context may only be specified with a mock');
  const unsupported = mock ? undefined : needsMock(state);
  if (unsupported) throw invalid(`TestState supports ${unsupported} only with a mock`);

  // the state under test, and a stand-in Succeed state for each state it can go to
  const tested = mock && (state.Type === 'Map' || state.Type === 'Parallel') ? asMockedTask(state) : state;
  const states: Record<string, RawState> = { [name]: tested };
  for (const next of successors(tested)) if (next !== name) states[next] = { Type: 'Succeed' };
  const machine = { QueryLanguage: lang, StartAt: name, States: states };
  const definition = JSON.stringify(machine);
  const { problems } = validateDefinition(definition);
  if (problems.length) throw new ApiError('InvalidDefinition', formatProblems(problems));

  const input = parseJson(req.input, 'input', {});
  const variables = parseJson(req.variables, 'variables', {});
  if (!isObject(variables)) throw invalid('variables must be a JSON object');
  const context = req.context === undefined ? undefined : parseJson(req.context, 'context', {});
  const mockResult = mock?.result === undefined ? undefined : parseJson(mock.result, 'mock.result', null);
  const retried = req.stateConfiguration?.retrierRetryCount ?? 0;

  // a mock answers the state through the engine's mocked integrations (no call, no task token wait)
  const mockConfig = mock
    ? MockConfig.parse({
        StateMachines: { TestState: { TestCases: { mock: { [name]: 'mock' } } } },
        MockedResponses: {
          mock: {
            '0-99999999': mock.errorOutput
              ? {
                  Throw: {
                    Error: mock.errorOutput.error || 'States.TaskFailed',
                    ...(mock.errorOutput.cause !== undefined ? { Cause: mock.errorOutput.cause } : {}),
                  },
                }
              : { Return: mockResult },
          },
        },
      })
    : undefined;
  const clock = new VirtualClock(main.clock.now());
  const core = new PrivateCore({
    clock,
    store: new MemoryStore(),
    taskHandler: main.handler,
    region: main.region,
    accountId: main.accountId,
    random: main.random,
    ...(mockConfig ? { mockConfig } : {}),
  });
  let retriable: { index: number; delayMs: number } | undefined;
  let caught: number | undefined;
  core.testing = {
    onRetry: (_frame, index, delayMs) => {
      retriable = { index, delayMs };
      return true;
    },
    onCatch: (_frame, index) => {
      caught = index;
    },
    ...(isObject(context) ? { context } : {}),
    retried,
  };
  try {
    const exec = await core.run(() => {
      const sm = {
        arn: `arn:aws:states:${main.region}:${main.accountId}:stateMachine:TestState`,
        name: 'TestState',
        definition,
        roleArn: req.roleArn ?? `arn:aws:iam::${main.accountId}:role/local-sfn`,
        type: 'STANDARD' as const,
        creationDate: clock.now(),
        revisionId: 'test-state',
      };
      core.machines.set(sm.arn, sm);
      const started = core.startNow(
        sm,
        'test-state',
        JSON.stringify(input),
        undefined,
        mock ? { testCase: 'mock' } : {},
      );
      const root = started.exec.frames.get('r')!;
      root.vars = { ...variables };
      return started.exec;
    });
    for (let i = 0; i < 10_000 && exec.meta.status === 'RUNNING'; i++) {
      const next = clock.nextDue();
      if (next === undefined) await clock.advance(0);
      else await clock.advanceTo(next);
      if (next === undefined && exec.meta.status === 'RUNNING') break;
    }
    return respond(req, exec.meta, exec.events, tested, name, lang, input, mockResult, retriable, caught);
  } finally {
    await core.close();
  }
};

const respond = (
  req: TestStateRequest,
  meta: { status: string; error?: string; cause?: string; output?: string },
  events: HistoryEvent[],
  st: RawState,
  name: string,
  lang: QueryLanguage,
  input: Json,
  mockResult: Json | undefined,
  retriable: { index: number; delayMs: number } | undefined,
  caught: number | undefined,
): TestStateResponse => {
  const evs = events.map((e) => expandDetails(e) as HistoryEvent);
  const detail = (type: string, key: string): Record<string, unknown> | undefined =>
    evs.find((e) => e.type === type)?.[key] as Record<string, unknown> | undefined;
  const exited = evs.find(
    (e) => e.type.endsWith('StateExited') && (e.stateExitedEventDetails as { name?: string })?.name === name,
  );
  const exitDetails = exited?.stateExitedEventDetails as
    | { output?: string; assignedVariables?: Record<string, string> }
    | undefined;
  const nextEntered = evs.find(
    (e, i) =>
      i > evs.indexOf(exited as HistoryEvent) && e.type.endsWith('StateEntered') && exited !== undefined,
  );
  const next = (nextEntered?.stateEnteredEventDetails as { name?: string } | undefined)?.name;
  const errorOf = () => ({
    ...(meta.error !== undefined ? { error: meta.error } : {}),
    ...(meta.cause !== undefined ? { cause: meta.cause } : {}),
  });

  const out: TestStateResponse = { status: 'SUCCEEDED' };
  if (retriable) {
    Object.assign(out, { status: 'RETRIABLE' }, errorOf());
  } else if (meta.status === 'SUCCEEDED') {
    if (exitDetails?.output !== undefined) out.output = exitDetails.output;
    if (next !== undefined) out.nextState = next;
    if (caught !== undefined) {
      out.status = 'CAUGHT_ERROR';
      const err = JSON.parse(exitDetails?.output ?? '{}') as JsonObject;
      const raw = evs.find((e) => /Failed$|TimedOut$/.test(e.type) && e.type !== 'ExecutionFailed');
      const d = raw
        ? (Object.values(raw).find((v) => isObject(v as Json) && 'error' in (v as object)) as
            | { error?: string; cause?: string }
            | undefined)
        : undefined;
      const error = d?.error ?? (typeof err.Error === 'string' ? err.Error : undefined);
      const cause = d?.cause ?? (typeof err.Cause === 'string' ? err.Cause : undefined);
      if (error !== undefined) out.error = error;
      if (cause !== undefined) out.cause = cause;
    }
  } else {
    out.status = 'FAILED';
    Object.assign(out, errorOf());
  }

  const level = req.inspectionLevel ?? 'INFO';
  if (level === 'INFO') return out;
  // the data-processing steps, as AWS reports them per state type
  const data: Record<string, unknown> = { input: text(input) };
  const scope = { data: input, vars: {}, ctx: {} };
  const jsonPath = lang !== 'JSONata';
  const scheduled =
    detail('TaskScheduled', 'taskScheduledEventDetails') ??
    detail('LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails');
  const params = (scheduled?.parameters ?? scheduled?.input) as string | undefined;
  const succeeded =
    detail('TaskSucceeded', 'taskSucceededEventDetails') ??
    detail('LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails');
  const taskResult: Json | undefined =
    succeeded?.output !== undefined ? (JSON.parse(String(succeeded.output)) as Json) : mockResult;
  const steps = (result: Json) => {
    const selected =
      st.ResultSelector !== undefined ? evalTemplate(st.ResultSelector, { ...scope, data: result }) : result;
    data.afterResultSelector = text(selected);
    const rp = st.ResultPath as string | null | undefined;
    data.afterResultPath = text(
      rp === null ? input : rp === undefined ? selected : writePath(rp, input, selected),
    );
  };
  try {
    if (!jsonPath) {
      if (params !== undefined) data.afterArguments = params;
      if (taskResult !== undefined) data.result = text(taskResult);
    } else if (st.Type === 'Pass' && st.Result !== undefined) {
      data.result = text(st.Result);
      steps(st.Result as Json);
    } else {
      const effective = applyPath(st.InputPath, input, scope, 'InputPath');
      data.afterInputPath = text(effective);
      if (st.Type === 'Pass') {
        const parameters =
          st.Parameters !== undefined
            ? evalTemplate(st.Parameters, { ...scope, data: effective })
            : effective;
        data.afterParameters = text(parameters);
        steps(parameters);
      } else if (st.Type === 'Task') {
        if (params !== undefined) data.afterParameters = params;
        if (
          taskResult !== undefined &&
          (retriable === undefined || mockResult !== undefined) &&
          caught === undefined
        ) {
          data.result = text(taskResult);
          steps(taskResult);
        }
      }
    }
  } catch {
    // a step that fails is reported by error/cause
  }
  const assigned = exitDetails?.assignedVariables;
  const vars: Record<string, Json> = { ...(JSON.parse(req.variables ?? '{}') as Record<string, Json>) };
  if (assigned) for (const [k, v] of Object.entries(assigned)) vars[k] = JSON.parse(v) as Json;
  if (req.variables !== undefined || assigned) data.variables = JSON.stringify(vars);
  if (retriable)
    data.errorDetails = {
      retryIndex: retriable.index,
      retryBackoffIntervalSeconds: retriable.delayMs / 1000,
    };
  else if (caught !== undefined) data.errorDetails = { catchIndex: caught };
  out.inspectionData = data;
  return out;
};
