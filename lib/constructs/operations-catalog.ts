import { Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import type { KeyType, WaitSpec } from '#domain/operations/catalog';

/** A workflow as the operations API lists it (the workflow kit adds each state machine it builds). */
export interface CatalogWorkflow {
  readonly name: string;
  readonly stateMachine: IStateMachine;
  readonly key: { readonly type: KeyType; readonly prefix?: string; readonly seed?: string };
  readonly waits?: Readonly<Record<string, WaitSpec>>;
  readonly distributedMap?: boolean;
}

/** A dead-letter queue and what its messages were meant for (EventTargets adds them). */
export interface CatalogDeadLetters {
  readonly queue: IQueue;
  readonly functions: IFunction[];
  readonly queues: IQueue[];
}

const catalogs = new WeakMap<Stack, OperationsCatalogBuilder>();

/**
 * The registry of what the operations feature operates on, one per stack: every workflow the
 * workflow kit builds and every dead-letter queue with the functions and queues that feed it. The
 * operations construct reads it once, after every feature (then it is sealed: a workflow added
 * after that would be invisible to the console, so it is an error at synthesis).
 */
export class OperationsCatalogBuilder {
  static of(scope: IConstruct): OperationsCatalogBuilder {
    const stack = Stack.of(scope);
    let catalog = catalogs.get(stack);
    if (!catalog) {
      catalog = new OperationsCatalogBuilder();
      catalogs.set(stack, catalog);
    }
    return catalog;
  }

  readonly #workflows: CatalogWorkflow[] = [];
  readonly #deadLetters: CatalogDeadLetters[] = [];
  #sealedBy: string | undefined;

  addWorkflow(workflow: CatalogWorkflow): void {
    this.#open(`workflow ${workflow.name}`);
    if (this.#workflows.some((w) => w.name === workflow.name)) {
      throw new Error(`operations catalog: a second workflow named ${workflow.name}`);
    }
    this.#workflows.push(workflow);
  }

  /** Marks a workflow as having a Distributed Map (its children are executions of their own). */
  markDistributedMap(stateMachine: IStateMachine): void {
    const i = this.#workflows.findIndex((w) => w.stateMachine === stateMachine);
    if (i >= 0) this.#workflows[i] = { ...this.#workflows[i]!, distributedMap: true };
  }

  /** A dead-letter queue (its feeds are added as the features wire their async edges). */
  addDeadLetterQueue(queue: IQueue): CatalogDeadLetters {
    this.#open('a dead-letter queue');
    let entry = this.#deadLetters.find((d) => d.queue === queue);
    if (!entry) {
      entry = { queue, functions: [], queues: [] };
      this.#deadLetters.push(entry);
    }
    return entry;
  }

  /** A function whose failed async invocations or events end in `queue`, or a queue redriving to it. */
  addFeed(queue: IQueue, feed: { function: IFunction } | { queue: IQueue }): void {
    this.#open('a dead-letter feed');
    const entry = this.addDeadLetterQueue(queue);
    if ('function' in feed) {
      if (!entry.functions.includes(feed.function)) entry.functions.push(feed.function);
    } else if (!entry.queues.includes(feed.queue)) entry.queues.push(feed.queue);
  }

  /** What the operations feature operates on; nothing may be added afterwards. */
  seal(by: string): { workflows: readonly CatalogWorkflow[]; deadLetters: readonly CatalogDeadLetters[] } {
    this.#sealedBy = by;
    return { workflows: [...this.#workflows], deadLetters: [...this.#deadLetters] };
  }

  #open(what: string): void {
    if (this.#sealedBy) {
      throw new Error(
        `operations catalog: ${what} was added after ${this.#sealedBy} read the catalog; add the operations feature last`,
      );
    }
  }
}
