import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { TaskCallbacks } from '#domain/events/callbacks';

/** The errors Step Functions answers when a task token's wait is over (answered or timed out). */
const WAIT_OVER = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

function errorName(error: unknown): string {
  return (error as { name?: string } | null)?.name ?? '';
}

/** Completes a run's `.waitForTaskToken` wait. */
export class StepFunctionsTaskCallbacks implements TaskCallbacks {
  constructor(private readonly client: SFNClient) {}

  async succeed(taskToken: string, output: unknown): Promise<'sent' | 'gone'> {
    return this.#send(() =>
      this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  async fail(taskToken: string, error: string, cause: string): Promise<'sent' | 'gone'> {
    return this.#send(() =>
      this.client.send(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, 32_768) })),
    );
  }

  async #send(call: () => Promise<unknown>): Promise<'sent' | 'gone'> {
    try {
      await call();
      return 'sent';
    } catch (error) {
      if (WAIT_OVER.has(errorName(error))) return 'gone';
      throw error;
    }
  }
}

/**
 * Starts a Standard workflow run under a business-key name. A second start with the same name is
 * a no-op: Step Functions returns the running execution for the same input, and answers
 * ExecutionAlreadyExists otherwise (a run of that name exists or existed) — both mean "started".
 */
export async function startNamedRun(
  client: SFNClient,
  stateMachineArn: string,
  name: string,
  input: unknown,
): Promise<{ executionArn: string | null; started: boolean }> {
  try {
    const result = await client.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    return { executionArn: result.executionArn ?? null, started: true };
  } catch (error) {
    if (errorName(error) === 'ExecutionAlreadyExists') return { executionArn: null, started: false };
    throw error;
  }
}
