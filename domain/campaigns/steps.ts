import * as z from '../shared/zod.ts';
import { RunContextSchema } from '../workflow/run.ts';
import { type StepLog, stepHandler } from '../workflow/step-handler.ts';
import { type CampaignRun, CampaignStepRejectedError } from './run.ts';

const Id = z.string().check(z.minLength(1), z.maxLength(64));
const Token = z.string().check(z.minLength(1));
const campaignStep = <S extends string>(step: S) =>
  z.object({ step: z.literal(step), campaignId: Id, run: RunContextSchema });

export const CampaignStepInputSchema = z.discriminatedUnion('step', [
  campaignStep('schedule'),
  z.object({
    step: z.literal('park'),
    campaignId: Id,
    phase: z.string(),
    taskToken: Token,
    run: RunContextSchema,
  }),
  campaignStep('startPilot'),
  campaignStep('evaluate'),
  campaignStep('rollOut'),
  z.object({ step: z.literal('rollBack'), campaignId: Id, timedOut: z.boolean(), run: RunContextSchema }),
  campaignStep('end'),
  campaignStep('abort'),
  z.object({
    step: z.literal('compensate'),
    campaignId: Id,
    error: z.optional(z.unknown()),
    run: RunContextSchema,
  }),
  z.object({ step: z.literal('experimentPark'), experimentId: Id, taskToken: Token, run: RunContextSchema }),
  z.object({ step: z.literal('conclude'), experimentId: Id, run: RunContextSchema }),
]);
export type CampaignStepInput = z.infer<typeof CampaignStepInputSchema>;

/** The step function of the launch run and of the experiment run. */
export function campaignStepHandler(run: CampaignRun, log?: StepLog<CampaignStepInput>) {
  return stepHandler({
    schema: CampaignStepInputSchema,
    reject: (message) => new CampaignStepRejectedError(message),
    log,
    steps: {
      schedule: (i) => run.schedule(i.campaignId, i.run),
      park: (i) => run.park(i.campaignId, i.phase, i.taskToken),
      startPilot: (i) => run.startPilot(i.campaignId, i.run),
      evaluate: (i) => run.evaluate(i.campaignId, i.run),
      rollOut: (i) => run.rollOut(i.campaignId, i.run),
      rollBack: (i) => run.rollBack(i.campaignId, i.run, i.timedOut),
      end: (i) => run.end(i.campaignId, i.run),
      abort: (i) => run.abort(i.campaignId, i.run),
      compensate: (i) => run.compensate(i.campaignId, i.run, i.error),
      experimentPark: (i) => run.experimentPark(i.experimentId, i.taskToken),
      conclude: (i) => run.conclude(i.experimentId, i.run),
    },
  });
}
