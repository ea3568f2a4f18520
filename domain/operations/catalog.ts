import { hasControlCharacters } from '../shared/schemas.ts';
import { runName } from '../workflow/run.ts';

/**
 * What the operations API knows about the app's workflows and dead-letter queues: the catalog the
 * stack builds as features add workflows and async edges (lib/constructs/operations-catalog.ts),
 * passed to the operations function as JSON. Nothing here names a feature: a workflow added later
 * brings its own entry.
 */

export const KEY_TYPES = [
  'order',
  'sku',
  'presale',
  'po',
  'promise',
  'run',
  'campaign',
  'experiment',
] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export interface BusinessKey {
  readonly type: KeyType;
  readonly value: string;
}

/** A state where a run waits for someone or something (a callback or a Wait state). */
export interface WaitSpec {
  /** What is awaited, e.g. `po-approval`. */
  readonly kind: string;
  /** Who acts: a person (an operator, shown in the overview), the customer, or time. */
  readonly by: 'person' | 'customer' | 'time';
}

export interface WorkflowEntry {
  /** The workflow's name in run ids (`PresaleOrder`). */
  readonly name: string;
  readonly stateMachineArn: string;
  /**
   * How a run's name relates to its business key: the key itself when it is a valid execution name,
   * else `<prefix>-<digest>` seeded with `seed` (domain/workflow/run.ts `runName`). Without a prefix
   * the name is the key as it is.
   */
  readonly key: { readonly type: KeyType; readonly prefix?: string; readonly seed?: string };
  /** Waiting states by state name. */
  readonly waits?: Readonly<Record<string, WaitSpec>>;
  /** Whether the workflow has a Distributed Map (its children are executions of their own). */
  readonly distributedMap?: boolean;
}

export interface DeadLetterFeed {
  readonly kind: 'function' | 'queue';
  /** A function's name or a queue's URL. */
  readonly name: string;
  /** A short human name (the construct path). */
  readonly label: string;
}

export interface DeadLetterEntry {
  /** The queue's name (its URL's last segment). */
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  /** `move` when the messages came from SQS queues (StartMessageMoveTask), else `replay`. */
  readonly redrive: 'move' | 'replay';
  readonly feeds: readonly DeadLetterFeed[];
}

export interface OperationsCatalog {
  readonly workflows: readonly WorkflowEntry[];
  readonly deadLetters: readonly DeadLetterEntry[];
}

const DIGEST = /^[0-9a-f]{32}$/;

/** The business key a run's name stands for, or null when the name is a digest of it. */
export function keyOfRun(workflow: WorkflowEntry, name: string): BusinessKey | null {
  const prefix = workflow.key.prefix;
  if (prefix && name.startsWith(`${prefix}-`) && DIGEST.test(name.slice(prefix.length + 1))) return null;
  return { type: workflow.key.type, value: name };
}

/** The run name a business key gets in a workflow (null when no run of it can have that key). */
export function runNameOfKey(workflow: WorkflowEntry, key: { type?: KeyType; value: string }): string | null {
  if (key.type && key.type !== workflow.key.type) return null;
  if (key.value.length === 0 || hasControlCharacters(key.value)) return null;
  const { prefix, seed } = workflow.key;
  const name = prefix && seed ? runName(key.value, { prefix, seed }) : key.value;
  return isExecutionName(name) ? name : null;
}

const UNSAFE = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

/** Step Functions' execution-name rules: 1–80 characters, none of its reserved characters. */
export function isExecutionName(name: string): boolean {
  return name.length > 0 && name.length <= 80 && !UNSAFE.test(name) && !hasControlCharacters(name);
}

/** `<workflow>:<executionName>`: the run's id in the operations API. */
export const runId = (workflow: string, name: string) => `${workflow}:${name}`;

/** The execution ARN of a run: the state machine's ARN with `execution` and the name. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  parts[5] = 'execution';
  return `${parts.join(':')}:${name}`;
}
