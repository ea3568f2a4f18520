/**
 * The names the campaign API and the workflow definitions share with the runs: run names and the
 * error a wait's token is failed with. Apart from run.ts so that the API's bundle (which starts
 * runs and aborts them) does not pull the runs' steps, the event catalog and the statistics.
 */
export const CAMPAIGN_ABORTED = 'CampaignAborted';
export const CAMPAIGN_DECIDED = 'CampaignDecided';
export const CAMPAIGN_STEP_REJECTED = 'CampaignStepRejected';

/** A campaign's launch run and an experiment's run are named by their ids (validated as execution names). */
export const launchRunName = (campaignId: string) => campaignId;
export const experimentRunName = (experimentId: string) => experimentId;
