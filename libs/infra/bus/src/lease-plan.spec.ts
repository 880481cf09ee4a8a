import { describe, expect, it } from 'vitest';
import { fairShare, isFree, planLeases, type LeaseView } from './lease-plan';

const lease = (owner: string, seenAt = 0, done = 0): LeaseView => ({ owner, done, revision: 1, seenAt });
const base = { me: 'a', now: 10_000, leaseMs: 3000, partitions: 4 };

describe('lease plan', () => {
  it('a lone replica claims every partition, missing or released', () => {
    const leases = new Map([[1, lease('')]]);
    expect(planLeases({ ...base, leases, live: ['a'], owned: new Set() })).toEqual({ claim: [0, 1, 2, 3], release: [] });
  });

  it('a lease renewed within leaseMs is not taken; one quiet for leaseMs is', () => {
    const leases = new Map([
      [0, lease('b', 9000)],
      [1, lease('b', 6000)],
    ]);
    expect(isFree(leases.get(0), 'a', base.now, base.leaseMs)).toBe(false);
    expect(isFree(leases.get(1), 'a', base.now, base.leaseMs)).toBe(true);
    expect(planLeases({ ...base, leases, live: ['a'], owned: new Set([2, 3]) }).claim).toEqual([1]);
  });

  it('never its own lease as stale', () => {
    expect(isFree(lease('a', 0), 'a', base.now, base.leaseMs)).toBe(false);
  });

  it('a replica holding more than its fair share hands back the highest partitions', () => {
    const plan = planLeases({ ...base, leases: new Map(), live: ['a', 'b'], owned: new Set([0, 1, 2, 3]) });
    expect(plan).toEqual({ claim: [], release: [3, 2] });
  });

  it('claims only up to its fair share', () => {
    const plan = planLeases({ ...base, leases: new Map(), live: ['a', 'b'], owned: new Set([0]) });
    expect(plan.claim).toEqual([1]);
  });

  it('the shares of the live replicas always cover every partition', () => {
    for (let p = 1; p < 40; p++) for (let n = 1; n < 9; n++) expect(fairShare(p, n) * n).toBeGreaterThanOrEqual(p);
  });
});
