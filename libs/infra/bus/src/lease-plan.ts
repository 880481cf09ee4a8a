// Which partitions this replica should take or give back, decided from what
// it has seen of the lease bucket (owned-partitions.ts). Pure, so the rules
// are tested without NATS:
// - A lease is free when it has no owner (released on shutdown or handed
//   back), or when its revision has not moved for leaseMs as this replica
//   saw it (its owner stopped renewing: killed, frozen, cut off). Local
//   observation, not timestamps written by others, so clocks need not agree.
// - Each live replica (a heartbeat that moved within leaseMs) holds at most
//   its fair share, ceil(partitions / live replicas): a new replica gets
//   work as the others hand partitions back, and a dead one's go to the rest.

export interface LeaseView {
  /** Replica id; '' when released. */
  owner: string;
  /** Stream sequence of the last message its owner finished. */
  done: number;
  revision: number;
  /** Local time (ms) this revision was first seen. */
  seenAt: number;
}

export interface PlanInput {
  me: string;
  now: number;
  leaseMs: number;
  partitions: number;
  leases: ReadonlyMap<number, LeaseView>;
  /** Replicas whose heartbeat moved within leaseMs (this one included). */
  live: readonly string[];
  /** Partitions this replica holds now. */
  owned: ReadonlySet<number>;
}

export interface Plan {
  claim: number[];
  release: number[];
}

export function fairShare(partitions: number, live: number): number {
  return Math.ceil(partitions / Math.max(1, live));
}

export function isFree(l: LeaseView | undefined, me: string, now: number, leaseMs: number): boolean {
  if (!l || l.owner === '') return true;
  return l.owner !== me && now - l.seenAt >= leaseMs;
}

export function planLeases(i: PlanInput): Plan {
  const live = new Set([...i.live, i.me]);
  const share = fairShare(i.partitions, live.size);
  if (i.owned.size > share) {
    // Hand back the highest-numbered ones: every replica agrees which, so they do not shuffle.
    const release = [...i.owned].sort((a, b) => b - a).slice(0, i.owned.size - share);
    return { claim: [], release };
  }
  const room = share - i.owned.size;
  const claim: number[] = [];
  for (let p = 0; p < i.partitions && claim.length < room; p++) {
    if (!i.owned.has(p) && isFree(i.leases.get(p), i.me, i.now, i.leaseMs)) claim.push(p);
  }
  return { claim, release: [] };
}
