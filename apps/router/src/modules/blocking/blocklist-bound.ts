// The bound on one user's block list (XEP-0191; BLOCKLIST_MAX_ITEMS, issue 9 #9).

export interface BlockListBound {
  maxItems: number;
  /** A block refused at the bound (a metric). */
  rejected?(store: string): void;
}

export const DEFAULT_BLOCKLIST_MAX_ITEMS = 1000;

/** A change that makes the list longer than `max` (and longer than it was: a lowered bound still lets a list shrink). */
export function overBound(before: readonly string[], after: readonly string[], max: number): boolean {
  return after.length > max && after.length > before.length;
}

/** The KV value bound of a list of `maxItems` JIDs: a JID is at most 3 × 1023 + 2 bytes (RFC 7622), plus protobuf framing. */
export function maxBlockListBytes(maxItems: number): number {
  return Math.min(maxItems * (3 * 1023 + 2 + 4) + 4096, 1024 * 1024);
}
