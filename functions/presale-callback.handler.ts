import { StepFunctionsTaskCallbacks } from '#adapters/stepfunctions/sfn';
import { presaleCallbacks } from '#domain/presale/callbacks';
import { eventTargetHandler } from './_shared/event-target.ts';
import { presaleDeps } from './_shared/presale.ts';
import { sfnClient } from './_shared/runtime.ts';

/**
 * EventBridge target for `PresaleBalancePaid` and `PresaleCancelled`: reaches the waiting run of
 * the order through the task token its wait stored (domain/presale/callbacks.ts). Throws when the
 * run is not ready yet, so the delivery is retried (then the dead-letter queue).
 */
const callbacks = presaleCallbacks({
  ...presaleDeps(),
  callbacks: new StepFunctionsTaskCallbacks(sfnClient()),
});

export const handler = eventTargetHandler('presale callback', {
  PresaleBalancePaid: async (payment, event) => {
    const result = await callbacks.balancePaid(payment, event.detail.metadata.eventId);
    return result.outcome === 'refused'
      ? { outcome: result.outcome, reason: result.refusal.reason, message: result.refusal.message }
      : { outcome: result.outcome };
  },
  PresaleCancelled: (cancellation) => callbacks.cancelled(cancellation),
});
