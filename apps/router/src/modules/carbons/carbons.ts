// XEP-0280 Message Carbons: a user's other resources that enabled carbons get
// a copy of each eligible message the user receives (<received/>) or sends
// (<sent/>), wrapped in a XEP-0297 <forwarded/>.
import { elementFromBytes, StanzaKind } from '@cx/stanza';
import { iqResult, x, type Element } from '@cx/xmpp-core';
import type { SessionEntry } from '@cx/session-directory';
import { NS_CARBONS } from '@cx/modules';
import type { Out } from '../../im/presence-out';

const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_HINTS = 'urn:xmpp:hints';
const MESSAGE = StanzaKind.STANZA_KIND_MESSAGE;

/** §6: chat messages, and normal ones with a body; not private, no-copy, or carbons themselves. */
export function eligible(type: string, el: Element): boolean {
  if (type !== 'chat' && !((type === '' || type === 'normal') && el.getChild('body'))) return false;
  if (el.getChild('private', NS_CARBONS) || el.getChild('no-copy', NS_HINTS)) return false;
  return !el.getChild('received', NS_CARBONS) && !el.getChild('sent', NS_CARBONS);
}

export function wrap(kind: 'received' | 'sent', bare: string, original: Element): Element {
  const inner = x('message', { ...original.attrs, xmlns: 'jabber:client' });
  for (const c of original.children) inner.cnode(c);
  return x('message', { from: bare, type: original.attrs.type }, x(kind, { xmlns: NS_CARBONS }, x('forwarded', { xmlns: NS_FORWARD }, inner)));
}

export class Carbons {
  constructor(
    private readonly out: Out,
    private readonly update: (fullJid: string, connectionId: string, on: boolean) => Promise<unknown>,
  ) {}

  /** <enable/> or <disable/> (§4, §5). */
  async iq(iq: Element, payload: Element, fullJid: string, connectionId: string): Promise<Element> {
    await this.update(fullJid, connectionId, payload.name === 'enable');
    return iqResult(iq);
  }

  /**
   * Copies for a user's carbons-enabled sessions other than `except` (the ones
   * that got the message itself). `sessions` are the user's, as routing saw them.
   */
  copy(kind: 'received' | 'sent', bare: string, sessions: readonly SessionEntry[], except: ReadonlySet<string>, type: string, xml: Uint8Array): void {
    const targets = sessions.filter((s) => s.carbons && s.available && !except.has(s.connectionId));
    if (targets.length === 0) return;
    const el = elementFromBytes(xml);
    if (!el || !eligible(type, el)) return;
    this.out.send(bare, targets, wrap(kind, bare, el), MESSAGE, true);
  }
}
