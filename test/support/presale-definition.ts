import { synthesizedWorkflow } from './workflow-harness.ts';

/**
 * The real app's presale order state machine's JSON, its step function's ARN given as `stepArn`
 * (the workflow kit's harness, test/support/workflow-harness.ts, picks it out of the app).
 */
export function presaleStateMachine(stepArn: string) {
  return synthesizedWorkflow('Presale/OrderWorkflow', () => stepArn);
}
