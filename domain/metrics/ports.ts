import type { PaidOrder, Refund, UserDay, VariantMark } from './figures.ts';

/** A marketing channel's name and daily spend (fen), as `PUT /api/channels/{channelId}` set it. */
export interface Channel {
  readonly channelId: string;
  readonly name: string;
  readonly currency: string;
  readonly spend: ReadonlyArray<{ readonly day: string; readonly amount: number }>;
  readonly updatedAt: string;
}

/** Port: the facts the metrics read (adapters/dynamodb/metrics-store.ts). */
export interface MetricsReader {
  /** Every user's store day on these days. */
  userDays(days: readonly string[]): Promise<UserDay[]>;
  /** The named users' store days (those that exist). */
  userDaysOf(keys: ReadonlyArray<{ readonly day: string; readonly userKey: string }>): Promise<UserDay[]>;
  /** Orders paid on the store days from `fromDay` to `toDay`, inclusive. */
  ordersPaid(fromDay: string, toDay: string): Promise<PaidOrder[]>;
  /** Refunds issued on the store days from `fromDay` to `toDay`, inclusive. */
  refundsIssued(fromDay: string, toDay: string): Promise<Refund[]>;
  /** Paid orders by id (those known). */
  ordersById(orderIds: readonly string[]): Promise<Map<string, PaidOrder>>;
  /** Each customer's first paid order's instant (those known). */
  firstPaid(customerIds: readonly string[]): Promise<Map<string, string>>;
  channels(): Promise<Channel[]>;
  /** The catalog's SKUs (the sell-through denominator). */
  catalogSkus(): Promise<string[]>;
  /** A campaign's or experiment's marks on these store days. */
  marks(kind: 'campaign' | 'experiment', id: string, days: readonly string[]): Promise<VariantMark[]>;
}

/** Port: what the bus and the API write (paid orders, refunds, channels). */
export interface MetricsWriter {
  /** Idempotent: the same order again changes nothing; keeps each customer's first paid order. */
  recordOrderPaid(order: PaidOrder): Promise<void>;
  /** Idempotent by refund id. */
  recordRefund(refund: Refund): Promise<void>;
  putChannel(channel: Channel): Promise<{ created: boolean }>;
}
