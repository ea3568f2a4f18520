import { type CanonicalEvent, canonicalEvent, type DetailType, type EventData } from '../events/catalog.ts';
import { ValidationError } from '../shared/errors.ts';
import { NonNegativeMoneySchema, PositiveMoneySchema } from '../shared/money.ts';
import { idSchema, instantSchema } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';

/** Longest envelope id: it is the dedupe key and seeds the event ids. */
export const MAX_STOREFLOW_ID_LENGTH = 200;

/** The generic signed envelope: `{ id, type, occurredAt, data }`; `id` is the dedupe key. */
export const StoreflowEnvelopeSchema = z.object({
  id: idSchema(MAX_STOREFLOW_ID_LENGTH),
  type: z
    .string()
    .check(z.minLength(1, 'must not be empty'), z.maxLength(64, 'must be at most 64 characters')),
  occurredAt: instantSchema(),
  data: z.record(z.string(), z.unknown(), 'must be an object'),
});
export type StoreflowEnvelope = z.infer<typeof StoreflowEnvelopeSchema>;

/** Business ids (orders, presales, tickets, SKUs): bounded, no control characters. */
const id = idSchema();
const optionalId = z.pipe(
  z.nullish(id),
  z.transform((v) => v ?? null),
);
/** Free text a person typed (a reason, a subject): bounded so it never crowds an event. */
const text = (max: number) =>
  z
    .string()
    .check(z.minLength(1, 'must not be empty'), z.maxLength(max, `must be at most ${max} characters`));
const optionalText = (max: number) =>
  z.pipe(
    z.nullish(text(max)),
    z.transform((v) => v ?? null),
  );

/** The data schema of each storeflow event type (SPEC §1, §2, §4, §6). */
export const storeflowDataSchemas = {
  'presale.deposit_paid': z.object({
    orderId: id,
    presaleId: id,
    customerId: id,
    amount: PositiveMoneySchema,
  }),
  'presale.balance_paid': z.object({ orderId: id, amount: NonNegativeMoneySchema }),
  'presale.cancelled': z.object({ orderId: id, reason: text(1000) }),
  'ticket.opened': z.object({
    ticketId: id,
    orderId: optionalId,
    customerId: optionalId,
    subject: optionalText(1000),
  }),
  'ticket.responded': z.object({ ticketId: id, orderId: optionalId }),
  'ticket.resolved': z.object({ ticketId: id, orderId: optionalId }),
  'installation.completed': z.object({ orderId: id, sku: optionalId }),
  'delivery.completed': z.object({ orderId: id, shipmentId: optionalId }),
  'competitor.price_observed': z.object({
    sku: id,
    competitor: id,
    price: PositiveMoneySchema,
    /** When the competitor's price was seen; the envelope's `occurredAt` when absent. */
    observedAt: z.optional(instantSchema()),
    url: z.pipe(
      z.nullish(z.url().check(z.maxLength(2048, 'must be at most 2048 characters'))),
      z.transform((v) => v ?? null),
    ),
  }),
  'customer.registered': z.object({
    customerId: id,
    email: z.pipe(
      z.nullish(
        z.email('must be an email address').check(z.maxLength(254, 'must be at most 254 characters')),
      ),
      z.transform((v) => v ?? null),
    ),
    phone: z.pipe(
      z.nullish(
        z
          .string()
          .check(
            z.regex(
              /^\+?[0-9][0-9 ()-]{4,30}$/,
              'must be a phone number (digits, spaces, +, -, parentheses)',
            ),
          ),
      ),
      z.transform((v) => v ?? null),
    ),
    referralCode: z.pipe(
      z.nullish(
        z.string().check(z.regex(/^[0-9A-Za-z]{1,32}$/, 'must be a referral code (letters and digits)')),
      ),
      z.transform((v) => (v ? v.toUpperCase() : null)),
    ),
    ip: z.pipe(
      z.nullish(z.union([z.ipv4(), z.ipv6()], 'must be an IPv4 or IPv6 address')),
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

/** Each storeflow type's canonical event and the field that carries the envelope's `occurredAt`. */
const canonicalOf: Record<StoreflowType, { detailType: DetailType; at: string }> = {
  'presale.deposit_paid': { detailType: 'PresaleDepositPaid', at: 'paidAt' },
  'presale.balance_paid': { detailType: 'PresaleBalancePaid', at: 'paidAt' },
  'presale.cancelled': { detailType: 'PresaleCancelled', at: 'cancelledAt' },
  'ticket.opened': { detailType: 'TicketOpened', at: 'openedAt' },
  'ticket.responded': { detailType: 'TicketResponded', at: 'respondedAt' },
  'ticket.resolved': { detailType: 'TicketResolved', at: 'resolvedAt' },
  'installation.completed': { detailType: 'InstallationCompleted', at: 'completedAt' },
  'delivery.completed': { detailType: 'OrderDelivered', at: 'deliveredAt' },
  'competitor.price_observed': { detailType: 'CompetitorPriceObserved', at: 'observedAt' },
  'customer.registered': { detailType: 'CustomerRegistered', at: 'registeredAt' },
};

/**
 * Normalizes a verified storeflow envelope into canonical events: the data is validated against
 * its type's schema (errors name `data.<field>`), then the canonical event's own schema.
 */
export function normalizeStoreflow(envelope: StoreflowEnvelope): CanonicalEvent[] {
  const type = envelope.type as StoreflowType;
  const data: Record<string, unknown> = parseOrThrow(storeflowDataSchemas[type], envelope.data, 'data');
  const { detailType, at } = canonicalOf[type];
  // A type whose data carries its own instant (a competitor price's `observedAt`) keeps it; it
  // cannot be later than the envelope's `occurredAt` (a fact is seen before it is reported).
  const own = typeof data[at] === 'string' ? (data[at] as string) : undefined;
  if (own !== undefined && Date.parse(own) > Date.parse(envelope.occurredAt)) {
    throw ValidationError.field(
      `data.${at}`,
      `must not be later than occurredAt (${envelope.occurredAt}); got ${own}`,
    );
  }
  return [
    canonicalEvent(detailType, {
      ...data,
      [at]: own === undefined ? envelope.occurredAt : new Date(own).toISOString(),
    } as EventData<DetailType>),
  ];
}
