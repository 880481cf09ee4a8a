// issue 9 #9: a roster's bounds (items, bytes, pending requests) and what a
// pending subscription request keeps.
import { describe, expect, it } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { rosterv1 } from '@cx/proto';
import { boundedRequest, rosterExcess, sizeBound, truncateUtf8, type RosterLimits } from './roster-bounds';
import { emptyItem } from './subscription';

const limits: RosterLimits = { maxItems: 3, maxBytes: 600, maxPending: 1, maxStatusBytes: 10 };
const roster = (items: rosterv1.RosterItem[]): rosterv1.Roster => ({ version: items.length, items, removed: [], horizon: 0 });
const item = (jid: string, extra: Partial<rosterv1.RosterItem> = {}) => ({ ...emptyItem(jid), ...extra });

describe('rosterExcess', () => {
  it('refuses an item past maxItems, bytes past maxBytes, a request past maxPending', () => {
    const three = roster([item('a@x'), item('b@x'), item('c@x')]);
    expect(rosterExcess(three, roster([...three.items, item('d@x')]), limits)).toBe('items');
    expect(rosterExcess(roster([]), roster([item('a@x', { name: 'n'.repeat(700) })]), limits)).toBe('bytes');
    const one = roster([item('a@x', { pendingIn: true })]);
    expect(rosterExcess(one, roster([...one.items, item('b@x', { pendingIn: true })]), limits)).toBe('pending');
    expect(rosterExcess(roster([item('a@x')]), roster([item('a@x'), item('b@x')]), limits)).toBeUndefined();
  });
  it('lets a roster over a lowered bound shrink or stay as large', () => {
    const four = roster([item('a@x'), item('b@x'), item('c@x'), item('d@x')]);
    expect(rosterExcess(four, roster(four.items.slice(1)), limits)).toBeUndefined();
    expect(rosterExcess(four, roster([...four.items.slice(1), item('e@x')]), limits)).toBeUndefined();
  });
});

describe('sizeBound', () => {
  it('is never below the encoded size', () => {
    const big = roster([
      item('é@x', { name: 'ñ'.repeat(300), groups: ['g', '😀'.repeat(50)], pendingIn: true, pendingInStanza: Buffer.alloc(700, 1), version: 2 ** 40 }),
      ...Array.from({ length: 50 }, (_, k) => item(`u${k}@example.org`, { subscription: 3, ask: true, approved: true, version: 2 ** 50 })),
    ]);
    big.removed = Array.from({ length: 20 }, (_, k) => ({ jid: `gone${k}@x`, version: 2 ** 45 }));
    big.version = 2 ** 52;
    big.horizon = 2 ** 52;
    expect(sizeBound(big)).toBeGreaterThanOrEqual(rosterv1.Roster.encode(big).finish().length);
  });
});

describe('boundedRequest', () => {
  const el = (s: string) => parseElement(s, { maxBytes: 1 << 20 }) as Element;
  it('keeps a status cut to the bound on a character boundary, the nickname, and nothing else', () => {
    const req = el(
      `<presence xmlns='jabber:client' type='subscribe' to='b@x' from='a@x'><status>héllo wörld and more</status><nick xmlns='http://jabber.org/protocol/nick'>Al</nick><junk xmlns='urn:j'>${'j'.repeat(100_000)}</junk></presence>`,
    );
    const out = boundedRequest(req, 10);
    expect(out.getChildText('status')).toBe('héllo wö');
    expect(out.getChild('nick', 'http://jabber.org/protocol/nick')?.getText()).toBe('Al');
    expect(out.getChild('junk')).toBeUndefined();
    expect(out.attrs).toMatchObject({ type: 'subscribe', to: 'b@x', from: 'a@x' });
    expect(out.toString().length).toBeLessThan(300);
  });
  it('drops a 256 KB status to the bound', () => {
    const out = boundedRequest(el(`<presence type='subscribe'><status>${'s'.repeat(262_144)}</status></presence>`), 1024);
    expect(Buffer.byteLength(out.getChildText('status') ?? '')).toBe(1024);
    expect(truncateUtf8('😀😀', 5)).toBe('😀');
  });
});
