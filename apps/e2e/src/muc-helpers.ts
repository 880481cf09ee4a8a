// What the group chat e2e files share: the service's address, the XEP-0045
// namespaces, an iq round trip, and readers of a room's presence.
import { randomUUID } from 'node:crypto';
import type { Element } from '@cx/xmpp-core';
import type { RawClient } from '@cx/testing';

export const SERVICE = 'conference.localhost';
export const MUC = 'http://jabber.org/protocol/muc';
export const USER = `${MUC}#user`;
export const OWNER = `${MUC}#owner`;
export const ADMIN = `${MUC}#admin`;
export const INFO = 'http://jabber.org/protocol/disco#info';
export const ITEMS = 'http://jabber.org/protocol/disco#items';

let ids = 0;
/** Send an iq and wait for its answer (other stanzas before it are skipped). */
export async function iq(c: RawClient, type: 'get' | 'set', to: string, body: string): Promise<Element> {
  const id = `muc${++ids}`;
  c.send(`<iq type='${type}' id='${id}' to='${to}'>${body}</iq>`);
  return c.until((el) => el.name === 'iq' && el.attrs.id === id);
}

/** The status codes of a room presence, sorted. */
export const codes = (p: Element) => (p.getChild('x', USER)?.getChildren('status') ?? []).map((s) => Number(s.attrs.code)).sort((a, b) => a - b);
export const presenceFrom = (from: string, type?: string) => (el: Element) => el.name === 'presence' && el.attrs.from === from && el.attrs.type === type;
/** A fresh room's JID on the service. */
export const roomName = (prefix = 'room') => `${prefix}-${randomUUID().slice(0, 8)}@${SERVICE}`;
