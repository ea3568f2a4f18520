import { type CanonicalEvent, canonicalEvent } from '../events/catalog.ts';
import { ValidationError } from '../shared/errors.ts';
import { MoneySchema } from '../shared/money.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';

/** The generic signed envelope: `{ id, type, occurredAt, data }`; `id` is the dedupe key. */
export const StoreflowEnvelopeSchema = z.object({
  id: z
    .string()
    .check(z.minLength(1, 'must not be empty'), z.maxLength(200, 'must be at most 200 characters')),
  type: z.string().check(z.minLength(1, 'must not be empty')),
  occurredAt: z.iso.datetime({ offset: true }),
  data: z.record(z.string(), z.unknown()),
});
export type StoreflowEnvelope = z.infer<typeof StoreflowEnvelopeSchema>;

const id = z.string().check(z.minLength(1, 'must not be empty'));
const optionalId = z.pipe(
  z.nullish(id),
  z.transform((v) => v ?? null),
);

/** The data schema of each storeflow event type (SPEC §1, §2, §4, §6). */
export const storeflowDataSchemas = {
  'presale.deposit_paid': z.object({ orderId: id, presaleId: id, customerId: id, amount: MoneySchema }),
  'presale.balance_paid': z.object({ orderId: id, amount: MoneySchema }),
  'presale.cancelled': z.object({ orderId: id, reason: id }),
  'ticket.opened': z.object({
    ticketId: id,
    orderId: optionalId,
    customerId: optionalId,
    subject: optionalId,
  }),
  'ticket.responded': z.object({ ticketId: id, orderId: optionalId }),
  'ticket.resolved': z.object({ ticketId: id, orderId: optionalId }),
  'installation.completed': z.object({ orderId: id, sku: optionalId }),
  'delivery.completed': z.object({ orderId: id, shipmentId: optionalId }),
  'competitor.price_observed': z.object({
    sku: id,
    competitor: id,
    price: MoneySchema,
    url: z.pipe(
      z.nullish(z.url()),
      z.transform((v) => v ?? null),
    ),
  }),
} as const;
export type StoreflowType = keyof typeof storeflowDataSchemas;
export const STOREFLOW_TYPES = Object.keys(storeflowDataSchemas) as StoreflowType[];

export function parseStoreflowEnvelope(payload: unknown): StoreflowEnvelope {
  const envelope = parseOrThrow(StoreflowEnvelopeSchema, payload);
  if (!Object.hasOwn(storeflowDataSchemas, envelope.type)) {
    throw ValidationError.field(
      'type',
      `unknown event type "${envelope.type}"; expected one of ${STOREFLOW_TYPES.join(', ')}`,
    );
  }
  return envelope;
}

/** Normalizes a verified storeflow envelope into canonical events. */
export function normalizeStoreflow(envelope: StoreflowEnvelope): CanonicalEvent[] {
  const type = envelope.type as StoreflowType;
  const at = envelope.occurredAt;
  switch (type) {
    case 'presale.deposit_paid': {
      const d = parseOrThrow(storeflowDataSchemas[type], envelope.data, 'data');
      return [canonicalEvent('PresaleDepositPaid', { ...d, paidAt: at })];
    }
    case 'presale.balance_paid': {
      const d = parseOrThrow(storeflowDataSchemas[type], envelope.data, 'data');
      return [canonicalEvent('PresaleBalancePaid', { ...d, paidAt: at })];
    }
    case 'presale.cancelled': {
      const d = parseOrThrow(storeflowDataSchemas[type], envelope.data, 'data');
      return [canonicalEvent('PresaleCancelled', { ...d, cancelledAt: at })];
    }
    case 'ticket.opened': {
      const d = parseOrThrow(storeflowDataSchemas[type], envelope.data, 'data');
      return [canonicalEvent('TicketOpened', { ...d, openedAt: at })];
    }
    case 'ticket.responded': {
      const d = parseOrThrow(storeflowDataSchemas[type], envelope.data, 'data');
      return [canonicalEvent('TicketResponded', { ...d, respondedAt: at })];
    }
    case 'ticket.resolved': {
      const d = parseOrThrow(storeflowDataSchemas[type], envelope.data, 'data');
      return [canonicalEvent('TicketResolved', { ...d, resolvedAt: at })];
    }
    case 'installation.completed': {
      const d = parseOrThrow(storeflowDataSchemas[type], envelope.data, 'data');
      return [canonicalEvent('InstallationCompleted', { ...d, completedAt: at })];
    }
    case 'delivery.completed': {
      const d = parseOrThrow(storeflowDataSchemas[type], envelope.data, 'data');
      return [canonicalEvent('OrderDelivered', { ...d, deliveredAt: at })];
    }
    case 'competitor.price_observed': {
      const d = parseOrThrow(storeflowDataSchemas[type], envelope.data, 'data');
      return [canonicalEvent('CompetitorPriceObserved', { ...d, observedAt: at })];
    }
  }
}
