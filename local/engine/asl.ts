/**
 * Typed Amazon States Language definitions. A definition is validated when it is created
 * (validate.ts) and parsed here once per definition text into a tree of typed states: a
 * discriminated union on `Type`, each state carrying its effective query language (`lang`, inherited
 * from the enclosing machine or state). Nested objects (payload templates, Choice rules) are the
 * definition's own objects, never copied, so the analysis caches keyed by them (templates, Choice
 * comparators) stay valid. Parsed definitions are shared and never mutated.
 */
import type { Json, QueryLanguage } from './types.ts';

/** A retrier of a Task/Parallel/Map state. */
export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

/** A catcher of a Task/Parallel/Map state. */
export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
  /** JSONPath */
  readonly ResultPath?: string | null;
  /** JSONata */
  readonly Output?: unknown;
  readonly Assign?: unknown;
}

/**
 * A Choice rule: in JSONPath a boolean expression (`Variable` + one comparator, or `And`/`Or`/`Not`)
 * with `Next` on the top-level rules; in JSONata a `Condition`. Comparator fields are read by name.
 */
export interface ChoiceRule {
  readonly Next?: string;
  readonly Assign?: unknown;
  readonly Output?: unknown;
  readonly Condition?: unknown;
  readonly Variable?: string;
  readonly And?: readonly ChoiceRule[];
  readonly Or?: readonly ChoiceRule[];
  readonly Not?: ChoiceRule;
  readonly [comparator: string]: unknown;
}

interface Common {
  readonly Comment?: string;
  readonly QueryLanguage?: QueryLanguage;
  readonly Assign?: unknown;
  /** the effective query language (the state's own, else the nearest enclosing one) */
  readonly lang: QueryLanguage;
}

interface Transition {
  readonly Next?: string;
  readonly End?: boolean;
}

interface IoPaths {
  readonly InputPath?: string | null;
  readonly OutputPath?: string | null;
}

/** Result processing of Task/Parallel/Map (and Pass's ResultPath). */
interface Results {
  readonly ResultSelector?: unknown;
  readonly ResultPath?: string | null;
  readonly Output?: unknown;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly Catcher[];
}

export interface PassState extends Common, Transition, IoPaths {
  readonly Type: 'Pass';
  readonly Result?: Json;
  readonly Parameters?: unknown;
  readonly ResultPath?: string | null;
  readonly Output?: unknown;
}

export interface TaskState extends Common, Transition, IoPaths, Results {
  readonly Type: 'Task';
  readonly Resource: string;
  readonly Parameters?: unknown;
  readonly Arguments?: unknown;
  /** a number (or, in JSONata, an expression) */
  readonly TimeoutSeconds?: unknown;
  readonly TimeoutSecondsPath?: string;
  readonly HeartbeatSeconds?: unknown;
  readonly HeartbeatSecondsPath?: string;
  readonly Credentials?: unknown;
}

export interface ChoiceState extends Common, IoPaths {
  readonly Type: 'Choice';
  readonly Choices: readonly ChoiceRule[];
  readonly Default?: string;
  readonly Output?: unknown;
}

export interface WaitState extends Common, Transition, IoPaths {
  readonly Type: 'Wait';
  /** a number (or, in JSONata, an expression) */
  readonly Seconds?: unknown;
  readonly Timestamp?: unknown;
  readonly SecondsPath?: string;
  readonly TimestampPath?: string;
  readonly Output?: unknown;
}

export interface SucceedState extends Common, IoPaths {
  readonly Type: 'Succeed';
  readonly Output?: unknown;
}

export interface FailState extends Common {
  readonly Type: 'Fail';
  /** a string (or, in JSONata, an expression) */
  readonly Error?: unknown;
  readonly Cause?: unknown;
  readonly ErrorPath?: string;
  readonly CausePath?: string;
}

export interface ParallelState extends Common, Transition, IoPaths, Results {
  readonly Type: 'Parallel';
  readonly Branches: readonly Machine[];
  readonly Parameters?: unknown;
  readonly Arguments?: unknown;
}

/** A Distributed Map's ItemBatcher ("ItemBatcher (Map)"). */
export interface ItemBatcher {
  readonly MaxItemsPerBatch?: unknown;
  readonly MaxItemsPerBatchPath?: string;
  readonly MaxInputBytesPerBatch?: unknown;
  readonly MaxInputBytesPerBatchPath?: string;
  readonly BatchInput?: unknown;
}

export interface MapState extends Common, Transition, IoPaths, Results {
  readonly Type: 'Map';
  readonly ItemProcessor?: Machine;
  /** legacy name of ItemProcessor */
  readonly Iterator?: Machine;
  readonly ItemsPath?: string;
  readonly Items?: unknown;
  readonly ItemSelector?: unknown;
  /** legacy name of ItemSelector */
  readonly Parameters?: unknown;
  readonly ItemReader?: unknown;
  readonly ItemBatcher?: ItemBatcher;
  readonly ResultWriter?: unknown;
  readonly Arguments?: unknown;
  readonly MaxConcurrency?: unknown;
  readonly MaxConcurrencyPath?: string;
  readonly ToleratedFailurePercentage?: unknown;
  readonly ToleratedFailurePercentagePath?: string;
  readonly ToleratedFailureCount?: unknown;
  readonly ToleratedFailureCountPath?: string;
  readonly Label?: string;
  /** the iteration machine (ItemProcessor or Iterator) */
  readonly processor: Machine;
  /** the key it sits under (frame paths name it) */
  readonly processorKey: 'ItemProcessor' | 'Iterator';
  /** ItemSelector, or the legacy Parameters */
  readonly selector: unknown;
  /** ItemProcessor.ProcessorConfig.Mode is DISTRIBUTED */
  readonly distributed: boolean;
}

export type State =
  | PassState
  | TaskState
  | ChoiceState
  | WaitState
  | SucceedState
  | FailState
  | ParallelState
  | MapState;

export type StateType = State['Type'];

/** A state machine, or a Parallel branch / Map processor inside one. */
export interface Machine {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, State>>;
  readonly QueryLanguage?: QueryLanguage;
  readonly TimeoutSeconds?: number;
  readonly Comment?: string;
  readonly ProcessorConfig?: { readonly Mode?: string; readonly ExecutionType?: string };
}

/** A definition as JSON.parse returns it (validated, not yet typed). */
type Raw = { readonly [key: string]: unknown };

const parseMachine = (raw: Raw, inherited: QueryLanguage): Machine => {
  const lang = (raw.QueryLanguage as QueryLanguage | undefined) ?? inherited;
  const states: Record<string, State> = {};
  for (const [name, st] of Object.entries(raw.States as Record<string, Raw>)) {
    states[name] = parseState(st, lang);
  }
  return { ...(raw as unknown as Machine), States: states };
};

const parseState = (raw: Raw, inherited: QueryLanguage): State => {
  const lang = (raw.QueryLanguage as QueryLanguage | undefined) ?? inherited;
  switch (raw.Type) {
    case 'Parallel':
      return {
        ...(raw as unknown as ParallelState),
        lang,
        Branches: (raw.Branches as Raw[]).map((b) => parseMachine(b, lang)),
      };
    case 'Map': {
      const processorKey = raw.ItemProcessor !== undefined ? 'ItemProcessor' : 'Iterator';
      const processor = parseMachine(raw[processorKey] as Raw, lang);
      return {
        ...(raw as unknown as MapState),
        lang,
        [processorKey]: processor,
        processor,
        processorKey,
        selector: raw.ItemSelector ?? raw.Parameters,
        distributed: processor.ProcessorConfig?.Mode === 'DISTRIBUTED',
      };
    }
    default:
      return { ...(raw as unknown as State), lang };
  }
};

/** Parse a validated definition text (the caller caches per text). */
export const parseMachineDefinition = (text: string): Machine => {
  const raw = JSON.parse(text) as Raw;
  return parseMachine(raw, (raw.QueryLanguage as QueryLanguage | undefined) ?? 'JSONPath');
};

const parsed = new Map<string, Machine>();

/** The parsed definition of a definition text, shared by every execution of it. */
export const definitionOf = (text: string): Machine => {
  let def = parsed.get(text);
  if (!def) {
    def = parseMachineDefinition(text);
    if (parsed.size > 1000) parsed.clear();
    parsed.set(text, def);
  }
  return def;
};

/** A frame path (`[]`, `['States', 'P', 'Branches', 0]`, `['States', 'M', 'ItemProcessor']`, …). */
export type MachinePath = readonly (string | number)[];

/** The machine (root, branch or processor) a frame path leads to; undefined if it leads nowhere. */
export const machineAt = (root: Machine, path: MachinePath): Machine | undefined => {
  let m: Machine = root;
  let i = 0;
  while (i < path.length) {
    if (path[i] !== 'States') return undefined;
    const st = m.States[path[i + 1] as string];
    const key = path[i + 2];
    if (st?.Type === 'Parallel' && key === 'Branches') {
      const b = st.Branches[path[i + 3] as number];
      if (!b) return undefined;
      m = b;
      i += 4;
    } else if (st?.Type === 'Map' && key === st.processorKey) {
      m = st.processor;
      i += 3;
    } else return undefined;
  }
  return m;
};

/** States that take Retry and Catch. */
export type RetryableState = TaskState | ParallelState | MapState;
export const isRetryable = (st: State): st is RetryableState =>
  st.Type === 'Task' || st.Type === 'Parallel' || st.Type === 'Map';
