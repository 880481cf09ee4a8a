import { describe, expect, it } from 'vitest';
import { jumpFor, parseTable, PEERS, peerKey, successorTable } from './peers';

describe('the skip table of peers', () => {
  it('puts the previous entry first and keeps the most recent PEERS peers', () => {
    let head: { keys: string[]; seq: number; table: string } | undefined;
    for (let seq = 1; seq <= 40; seq++) {
      const table = successorTable(head);
      head = { keys: [peerKey(`p${seq % 20}@x`)], seq, table };
    }
    const t = parseTable(head?.table);
    expect(t).toHaveLength(PEERS);
    expect(t[0]).toEqual([peerKey('p19@x'), 39]);
    expect(jumpFor(head?.table, peerKey('p19@x'))).toEqual({ seq: 39, exact: true });
    // p0 (seq 20, 40) is the head itself; its previous entry (20) is older than the 16 listed: jump to the oldest listed.
    expect(jumpFor(head?.table, peerKey('p0@x'))).toEqual({ seq: 24, exact: false });
    expect(jumpFor('', peerKey('p0@x'))).toEqual({ seq: 0, exact: true });
  });
  it('lists every peer of a multi-message entry at that entry, the last one first', () => {
    const t = parseTable(successorTable({ seq: 7, table: '', keys: ['a', 'b', 'a'] }));
    expect(t).toEqual([
      ['a', 7],
      ['b', 7],
    ]);
  });
  it('keys the bare JID, case-insensitively', () => {
    expect(peerKey('Juliet@Capulet.lit/balcony')).toBe(peerKey('juliet@capulet.lit'));
  });
});
