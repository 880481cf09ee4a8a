import { describe, expect, it } from 'vitest';
import { emptyItem } from '@cx/roster';
import { rosterv1 } from '@cx/proto';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { allowedBy, mayAccess } from './access';
import { avatarHash, withUpdate } from './avatar';

const { Subscription: S } = rosterv1;
const item = (subscription: rosterv1.Subscription, groups: string[] = []) => ({ ...emptyItem('b@localhost'), subscription, groups });

describe('XEP-0060 access models for PEP', () => {
  it('presence: from or both; roster: in the roster, in an allowed group when any; whitelist: nobody else', () => {
    const cfg = (accessModel: 'open' | 'presence' | 'roster' | 'whitelist', rosterGroupsAllowed: string[] = []) => ({ accessModel, rosterGroupsAllowed });
    expect(allowedBy(cfg('presence'), item(S.SUBSCRIPTION_FROM))).toBe(true);
    expect(allowedBy(cfg('presence'), item(S.SUBSCRIPTION_TO))).toBe(false);
    expect(allowedBy(cfg('presence'), undefined)).toBe(false);
    expect(allowedBy(cfg('roster'), item(S.SUBSCRIPTION_NONE))).toBe(true);
    expect(allowedBy(cfg('roster', ['Family']), item(S.SUBSCRIPTION_BOTH, ['Work']))).toBe(false);
    expect(allowedBy(cfg('roster', ['Family']), item(S.SUBSCRIPTION_BOTH, ['Family']))).toBe(true);
    expect(allowedBy(cfg('whitelist'), item(S.SUBSCRIPTION_BOTH))).toBe(false);
    expect(allowedBy(cfg('open'), undefined)).toBe(true);
  });

  it('the owner always; refusals carry the pubsub#errors condition', async () => {
    const none = async () => undefined;
    expect(await mayAccess({ accessModel: 'whitelist', rosterGroupsAllowed: [] }, 'a', 'a@localhost', 'a@localhost', none)).toBe(true);
    const r = await mayAccess({ accessModel: 'presence', rosterGroupsAllowed: [] }, 'a', 'a@localhost', 'c@localhost', none);
    expect(r === true ? '' : r.toElement().toString()).toContain('presence-subscription-required');
    const w = await mayAccess({ accessModel: 'whitelist', rosterGroupsAllowed: [] }, 'a', 'a@localhost', 'c@localhost', none);
    expect(w === true ? '' : w.toElement().toString()).toContain('closed-node');
  });
});

describe('XEP-0153 hash in presence', () => {
  const el = (s: string) => parseElement(s) as Element;
  it('adds the hash, fills an empty x:update, keeps a client-given photo', () => {
    expect(withUpdate(el('<presence/>'), 'abc')?.getChild('x', 'vcard-temp:x:update')?.getChildText('photo')).toBe('abc');
    expect(withUpdate(el(`<presence><x xmlns='vcard-temp:x:update'/></presence>`), '')?.getChild('x')?.getChild('photo')?.children).toEqual([]);
    expect(withUpdate(el(`<presence><x xmlns='vcard-temp:x:update'><photo>mine</photo></x></presence>`), 'abc')).toBeUndefined();
  });
  it('the hash is the metadata item id; an empty metadata means no avatar', () => {
    expect(avatarHash({})).toBeUndefined();
    expect(avatarHash({ 'urn:xmpp:avatar:metadata': { b: 1, a: 'open', l: 'h1' } })).toBe('h1');
    expect(avatarHash({ 'urn:xmpp:avatar:metadata': { b: 1, a: 'open', l: 'x', e: true } })).toBe('');
  });
});
