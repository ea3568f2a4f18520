import { Annotations, type IAspect } from 'aws-cdk-lib';
import { CfnRule } from 'aws-cdk-lib/aws-events';
import { CfnEventInvokeConfig } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/**
 * Guardrail: every async edge must be able to park what it could not deliver. An EventBridge
 * rule target without a dead-letter queue, or an async invoke config without an on-failure
 * destination, is a synth error.
 */
export class AsyncEdgeGuard implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof CfnRule) {
      const targets = (node.targets ?? []) as Array<CfnRule.TargetProperty>;
      for (const target of Array.isArray(targets) ? targets : []) {
        if (!target.deadLetterConfig) {
          Annotations.of(node).addError(`event rule target ${target.id} has no dead-letter queue`);
        }
      }
    }
    if (node instanceof CfnEventInvokeConfig && !node.destinationConfig) {
      Annotations.of(node).addError('async invoke config has no on-failure destination');
    }
  }
}
