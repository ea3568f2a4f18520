import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { StageConfig } from '../config.ts';
import type { ApiRoutes } from './api-routes.ts';
import type { EventTargets } from './event-targets.ts';

/** What every feature construct receives from the app stack. */
export interface FeatureProps {
  readonly config: StageConfig;
  readonly table: ITable;
  readonly bus: IEventBus;
  readonly routes: ApiRoutes;
  readonly targets: EventTargets;
}
