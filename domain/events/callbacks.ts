/**
 * Port: completing a workflow run's `.waitForTaskToken` wait (an approval, a payment, a
 * cancellation). `gone` when the wait already ended (timed out, or answered before).
 */
export interface TaskCallbacks {
  succeed(taskToken: string, output: unknown): Promise<'sent' | 'gone'>;
  fail(taskToken: string, error: string, cause: string): Promise<'sent' | 'gone'>;
}
