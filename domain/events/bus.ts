import * as z from '../shared/zod.ts';
import { EventMetadataSchema } from './envelope.ts';

/**
 * A storeflow event as the bus delivers it to a consumer (an EventBridge rule target): the
 * envelope every consumer parses first, before the data schema of its detail type.
 */
export const BusEventSchema = z.object({
  id: z.optional(z.string()),
  source: z.string().check(z.startsWith('storeflow.')),
  'detail-type': z.string().check(z.minLength(1)),
  time: z.optional(z.string()),
  detail: z.object({
    metadata: EventMetadataSchema,
    data: z.record(z.string(), z.unknown()),
  }),
});
export type BusEvent = z.infer<typeof BusEventSchema>;
