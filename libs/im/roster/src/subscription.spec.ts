// RFC 6121 Appendix A, row by row, for the states a server stores.
import { describe, expect, it } from 'vitest';
import { rosterv1 } from '@cx/proto';
import {
  emptyItem,
  inboundSubscribe,
  inboundSubscribed,
  inboundUnsubscribe,
  inboundUnsubscribed,
  outboundSubscribe,
  outboundSubscribed,
  outboundUnsubscribe,
  outboundUnsubscribed,
  type Item,
} from './subscription';

const { Subscription: S } = rosterv1;
const J = 'c@localhost';
const item = (subscription: rosterv1.Subscription, extra: Partial<Item> = {}): Item => ({ ...emptyItem(J), subscription, ...extra });
const stanza = new TextEncoder().encode('<presence type="subscribe"/>');

describe('outbound (A.2)', () => {
  it('subscribe: None → None + Pending Out; From → From + Pending Out; To/Both unchanged; always routed', () => {
    expect(outboundSubscribe(undefined, J)).toMatchObject({ route: true, item: { subscription: S.SUBSCRIPTION_NONE, ask: true } });
    expect(outboundSubscribe(item(S.SUBSCRIPTION_FROM), J).item).toMatchObject({ subscription: S.SUBSCRIPTION_FROM, ask: true });
    expect(outboundSubscribe(item(S.SUBSCRIPTION_TO), J)).toEqual({ item: undefined, route: true });
    expect(outboundSubscribe(item(S.SUBSCRIPTION_BOTH), J)).toEqual({ item: undefined, route: true });
  });
  it('unsubscribe: To → None, Both → From, Pending Out cleared', () => {
    expect(outboundUnsubscribe(item(S.SUBSCRIPTION_TO)).item?.subscription).toBe(S.SUBSCRIPTION_NONE);
    expect(outboundUnsubscribe(item(S.SUBSCRIPTION_BOTH)).item?.subscription).toBe(S.SUBSCRIPTION_FROM);
    expect(outboundUnsubscribe(item(S.SUBSCRIPTION_NONE, { ask: true })).item).toMatchObject({ subscription: S.SUBSCRIPTION_NONE, ask: false });
  });
  it('subscribed: Pending In → From (routed); none pending → pre-approval (not routed); From unchanged', () => {
    expect(outboundSubscribed(item(S.SUBSCRIPTION_NONE, { pendingIn: true }), J)).toMatchObject({
      route: true,
      item: { subscription: S.SUBSCRIPTION_FROM, pendingIn: false },
    });
    expect(outboundSubscribed(item(S.SUBSCRIPTION_TO, { pendingIn: true }), J).item?.subscription).toBe(S.SUBSCRIPTION_BOTH);
    expect(outboundSubscribed(undefined, J)).toMatchObject({ route: false, item: { approved: true } });
    expect(outboundSubscribed(item(S.SUBSCRIPTION_FROM), J)).toEqual({ route: false });
  });
  it('unsubscribed: From → None, Both → To, Pending In and pre-approval cleared', () => {
    expect(outboundUnsubscribed(item(S.SUBSCRIPTION_FROM))).toMatchObject({ route: true, item: { subscription: S.SUBSCRIPTION_NONE } });
    expect(outboundUnsubscribed(item(S.SUBSCRIPTION_BOTH)).item?.subscription).toBe(S.SUBSCRIPTION_TO);
    expect(outboundUnsubscribed(item(S.SUBSCRIPTION_NONE, { pendingIn: true }))).toMatchObject({ route: true, item: { pendingIn: false } });
    expect(outboundUnsubscribed(item(S.SUBSCRIPTION_NONE, { approved: true }))).toMatchObject({ route: false, item: { approved: false } });
    expect(outboundUnsubscribed(undefined)).toEqual({ route: false });
  });
});

describe('inbound (A.3)', () => {
  it('subscribe: From/Both auto-approved; pre-approved becomes From; otherwise Pending In and delivered', () => {
    expect(inboundSubscribe(item(S.SUBSCRIPTION_FROM), J, stanza).kind).toBe('auto-approve');
    expect(inboundSubscribe(item(S.SUBSCRIPTION_TO, { approved: true }), J, stanza)).toMatchObject({
      kind: 'auto-approve',
      item: { subscription: S.SUBSCRIPTION_BOTH, approved: false },
    });
    const d = inboundSubscribe(undefined, J, stanza);
    expect(d).toMatchObject({ kind: 'deliver', item: { pendingIn: true } });
  });
  it('§3.1.3: a request from someone not in the roster is request-only (not listed) until the user acts', async () => {
    const { listed } = await import('./subscription');
    const { rosterQuery, changesSince } = await import('./roster-xml');
    const req = inboundSubscribe(undefined, J, stanza).item as Item;
    expect(req).toMatchObject({ requestOnly: true, pendingIn: true, subscription: S.SUBSCRIPTION_NONE });
    expect(listed(req)).toBe(false);
    expect(rosterQuery([req], 3).children).toEqual([]);
    expect(changesSince({ version: 3, horizon: 0, items: [{ ...req, version: 3 }], removed: [] }, '2')).toEqual([]);
    // an item the user added keeps being listed when a request arrives
    expect(inboundSubscribe(item(S.SUBSCRIPTION_NONE), J, stanza).item).toMatchObject({ requestOnly: false, pendingIn: true });
    // approving, subscribing back or pre-approving puts it in the roster
    expect(outboundSubscribed(req, J).item).toMatchObject({ requestOnly: false, subscription: S.SUBSCRIPTION_FROM, pendingIn: false });
    expect(outboundSubscribe(req, J).item).toMatchObject({ requestOnly: false, ask: true, pendingIn: true });
    // denied or cancelled: gone, not an empty item left behind
    expect(outboundUnsubscribed(req)).toEqual({ item: null, route: true });
    expect(inboundUnsubscribe(req)).toEqual({ item: null, route: true });
    // but an item the user added stays, only without Pending In
    expect(outboundUnsubscribed(item(S.SUBSCRIPTION_NONE, { pendingIn: true })).item).toMatchObject({ pendingIn: false });
  });
  it('unsubscribe: From → None, Both → To, Pending In cleared; otherwise not delivered', () => {
    expect(inboundUnsubscribe(item(S.SUBSCRIPTION_FROM)).item?.subscription).toBe(S.SUBSCRIPTION_NONE);
    expect(inboundUnsubscribe(item(S.SUBSCRIPTION_BOTH)).item?.subscription).toBe(S.SUBSCRIPTION_TO);
    expect(inboundUnsubscribe(item(S.SUBSCRIPTION_TO))).toEqual({ route: false });
  });
  it('subscribed: only with Pending Out: None → To, From → Both', () => {
    expect(inboundSubscribed(item(S.SUBSCRIPTION_NONE, { ask: true })).item).toMatchObject({ subscription: S.SUBSCRIPTION_TO, ask: false });
    expect(inboundSubscribed(item(S.SUBSCRIPTION_FROM, { ask: true })).item?.subscription).toBe(S.SUBSCRIPTION_BOTH);
    expect(inboundSubscribed(item(S.SUBSCRIPTION_NONE))).toEqual({ route: false });
  });
  it('unsubscribed: To → None, Both → From, Pending Out cleared', () => {
    expect(inboundUnsubscribed(item(S.SUBSCRIPTION_TO)).item?.subscription).toBe(S.SUBSCRIPTION_NONE);
    expect(inboundUnsubscribed(item(S.SUBSCRIPTION_BOTH)).item?.subscription).toBe(S.SUBSCRIPTION_FROM);
    expect(inboundUnsubscribed(item(S.SUBSCRIPTION_NONE, { ask: true })).item).toMatchObject({ ask: false });
    expect(inboundUnsubscribed(item(S.SUBSCRIPTION_FROM))).toEqual({ route: false });
  });
});

describe('roster versioning (§2.6.3)', () => {
  it('lists the changes since a version, removals included, or undefined when it cannot', async () => {
    const { changesSince } = await import('./roster-xml');
    const roster = {
      version: 5,
      horizon: 2,
      items: [item(S.SUBSCRIPTION_BOTH, { jid: 'a@x', version: 3 }), item(S.SUBSCRIPTION_TO, { jid: 'b@x', version: 5 })],
      removed: [{ jid: 'c@x', version: 4 }],
    };
    expect(changesSince(roster, '2')?.map((c) => [c.jid, c.version, !!c.item])).toEqual([
      ['a@x', 3, true],
      ['c@x', 4, false],
      ['b@x', 5, true],
    ]);
    expect(changesSince(roster, '4')?.map((c) => c.jid)).toEqual(['b@x']);
    expect(changesSince(roster, '5')).toEqual([]);
    expect(changesSince(roster, '1')).toBeUndefined();
    expect(changesSince(roster, '6')).toBeUndefined();
    expect(changesSince(roster, 'abc')).toBeUndefined();
  });
});
