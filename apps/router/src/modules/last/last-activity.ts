// XEP-0012 Last Activity for accounts (§3, the "offline user" query): how long
// ago a user's last session went unavailable, recorded when the user's last
// available session ends. Only those who may see the user's presence (the
// user's roster has them with subscription from or both) may ask.
import { encodeKey, type Bus, type KV } from '@cx/bus';
import { rosterv1 } from '@cx/proto';
import { errorReply, iqResult, StanzaError, x, type Element } from '@cx/xmpp-core';
import { truncateUtf8 } from '@cx/roster';

export const LAST_BUCKET = 'xmpp_last';
const NS_LAST = 'jabber:iq:last';
/** The status kept with the time (issue 9 #9: it came from a presence of up to MAX_STANZA_BYTES). */
const MAX_STATUS_BYTES = 1024;

export class LastActivity {
  private constructor(private readonly kv: KV) {}

  static async open(bus: Bus): Promise<LastActivity> {
    return new LastActivity(await bus.bucket(LAST_BUCKET, { maxValueSize: 8192 }));
  }

  /** The account is removed: when it was last seen goes too. */
  async removeUser(user: string): Promise<void> {
    await this.kv.purge(encodeKey(user));
  }

  async record(user: string, status: string): Promise<void> {
    await this.kv.put(encodeKey(user), rosterv1.LastActivity.encode({ atMs: Date.now(), status: truncateUtf8(status, MAX_STATUS_BYTES) }).finish());
  }

  /** The answer to a query about `user`; `allowed` says whether the asker may see the user's presence, `online` whether the user has an available resource. */
  async answer(iq: Element, user: string, allowed: boolean, online: boolean): Promise<Element> {
    if (!allowed) return errorReply(iq, new StanzaError('forbidden', 'a presence subscription is required'));
    if (online) return iqResult(iq, x('query', { xmlns: NS_LAST, seconds: 0 }));
    const e = await this.kv.get(encodeKey(user));
    if (!e || e.operation !== 'PUT' || !e.value.length) return errorReply(iq, new StanzaError('item-not-found'));
    const last = rosterv1.LastActivity.decode(e.value);
    return iqResult(iq, x('query', { xmlns: NS_LAST, seconds: Math.max(0, Math.floor((Date.now() - last.atMs) / 1000)) }, last.status || null));
  }
}
