import { createHash } from 'node:crypto';

/**
 * The member buckets customers are spread over for the nightly fan-out. Apart from members.ts so
 * that a reader of the members' items (the members store, and through it the checkout quote's
 * perks) does not bundle the members' use cases and the event catalog.
 */

/** Buckets customers are spread over for the nightly fan-out (a Distributed Map item each). */
export const MEMBER_BUCKETS = 64;

export const bucketOf = (customerId: string): number =>
  createHash('sha256').update(customerId).digest().readUInt32BE(0) % MEMBER_BUCKETS;
