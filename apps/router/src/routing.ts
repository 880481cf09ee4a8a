// Where a stanza from a client session goes (RFC 6120 §10, RFC 6121 §8.5):
// to the server's modules, to one session, to the best resources of a bare
// JID, or back to the sender as an error. Lookups are in the local session
// mirror; only error paths parse the XML.
import { parseElement } from '@cx/xml-stream';
import { errorReply, StanzaError, tryParseJid, type Element, type Jid, type StanzaErrorCondition } from '@cx/xmpp-core';
import type { ModuleHost, Target } from '@cx/modules';
import { routerv1 } from '@cx/proto';
import type { SessionDirectory, SessionEntry, UserSessions } from '@cx/session-directory';
import type { Deliverer } from './deliverer';
import type { Im } from './im/im';
import { NS_CARBONS, type Carbons } from './im/carbons';
import { blockedReply, NS_BLOCKING, type Blocking } from './im/blocking';
import { NS_ROSTER } from '@cx/roster';

const { StanzaKind } = routerv1;
type Stanza = routerv1.Stanza;

export interface RoutingDeps {
  domain: string;
  directory: SessionDirectory;
  deliverer: Deliverer;
  host: ModuleHost;
  im: Im;
  carbons?: Carbons;
  blocking?: Blocking;
  /** The edge was found gone (nobody reads its subject): its sessions got nothing. */
  edgeGone?: (edgeId: string) => boolean;
  /** Offline storage (XEP-0160): store a message for an account that exists; 'full' when over its limit. */
  offline?: (bare: string, message: Element) => Promise<'stored' | 'full' | 'refused'>;
}

export interface Sender {
  edgeId: string;
  connectionId: string;
  jid: Jid;
  /** Stream management is on: replies go through the stream xmpp_sm. */
  sm?: boolean;
}

const encoder = new TextEncoder();
const SUBSCRIPTION_TYPES = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

export class Router {
  constructor(private readonly d: RoutingDeps) {}

  /** Route one stanza; returns a promise only when it had to wait. */
  route(s: Stanza, edgeId: string): void | Promise<void> {
    const from = tryParseJid(s.from);
    if (!from) return;
    const sender: Sender = s.undeliverable ? this.locate(from) : { edgeId, connectionId: s.connectionId, jid: from, sm: s.smIn > 0 };
    const to = s.to === '' ? from.bare : tryParseJid(s.to);
    if (!to) return this.bounce(s, sender, 'jid-malformed');
    if (to.domain !== this.d.domain) return this.unreachable(s, sender);
    if (this.d.blocking && !s.undeliverable && this.blocked(s, sender, to)) return;
    if (s.kind === StanzaKind.STANZA_KIND_PRESENCE && SUBSCRIPTION_TYPES.has(s.type)) return this.subscription(s, sender, to);
    if (s.kind === StanzaKind.STANZA_KIND_MESSAGE && !s.undeliverable) this.sentCarbons(s, sender);
    if (s.kind === StanzaKind.STANZA_KIND_PRESENCE && !s.undeliverable && (s.type === '' || s.type === 'unavailable') && s.to !== '' && to.local && !to.bare.equals(from.bare)) {
      // Available: delivered only once remembered (a session's recipients are bounded; past the bound it is refused).
      const recorded = this.d.im.directed({ jid: from, connectionId: s.connectionId }, to, s.type === '').catch(() => true);
      if (s.type === '') return recorded.then((ok) => (ok ? this.onward(s, sender, to) : this.refuseDirected(s, sender)));
    }
    return this.onward(s, sender, to);
  }

  private onward(s: Stanza, sender: Sender, to: Jid): void | Promise<void> {
    if (to.local === '') return this.toServer(s, sender, to);
    if (s.undeliverable || to.resource === '') return this.toBare(s, sender, to);
    return this.toFull(s, sender, to);
  }

  /** A directed presence past the session's bound of recipients (MAX_DIRECTED_PRESENCES): an error, not delivered. */
  private refuseDirected(s: Stanza, sender: Sender): void {
    this.errorTo(s, sender, new StanzaError('resource-constraint', 'too many directed presences from this session', 'wait'));
  }

  /** XEP-0191 §3.5–3.6: nothing passes between a user and a JID they block. True when the stanza was handled. */
  private blocked(s: Stanza, sender: Sender, to: Jid): boolean {
    const b = this.d.blocking as Blocking;
    const from = sender.jid;
    if (!to.local || (to.local === from.local && to.domain === from.domain)) return false;
    const request = s.kind === StanzaKind.STANZA_KIND_MESSAGE ? s.type !== 'error' : s.kind === StanzaKind.STANZA_KIND_IQ && (s.type === 'get' || s.type === 'set');
    if (b.blocks(from.local, to)) {
      const el = request ? parse(s.xml) : undefined;
      if (el) this.toSender(sender, blockedReply(el));
      return true;
    }
    if (!b.blocks(to.local, from)) return false;
    if (request) this.bounce(s, sender, 'service-unavailable');
    return true;
  }

  /**
   * Routing threw (storage or a lookup failed, e.g. JetStream unavailable):
   * tell the sender to try again later rather than lose the stanza silently.
   */
  failed(s: Stanza, edgeId: string): void {
    const from = tryParseJid(s.from);
    if (!from) return;
    const sender: Sender = s.undeliverable ? this.locate(from) : { edgeId, connectionId: s.connectionId, jid: from, sm: s.smIn > 0 };
    this.bounce(s, sender, 'internal-server-error', 'the server could not handle this now; try again later', 'wait');
  }

  /** Where a sender is, for a stanza an edge returned (its connectionId is the lost target's). */
  private locate(from: Jid): Sender {
    const hit = this.d.directory.cached(from.bare.toString())?.sessions.find((x) => x.resource === from.resource);
    return { edgeId: hit?.edgeId ?? '', connectionId: hit?.connectionId ?? '', jid: from, sm: !!hit?.smId };
  }

  private toServer(s: Stanza, sender: Sender, to: Jid): void | Promise<void> {
    if (s.kind === StanzaKind.STANZA_KIND_IQ && !to.resource && (s.type === 'get' || s.type === 'set')) return this.serverIq(s, sender, 'host');
    if (s.kind !== StanzaKind.STANZA_KIND_PRESENCE) return this.bounce(s, sender, 'service-unavailable');
  }

  private async subscription(s: Stanza, sender: Sender, to: Jid): Promise<void> {
    const el = parse(s.xml);
    if (!el || !to.local) return;
    await this.d.im.subscription(s.type, { jid: sender.jid, connectionId: s.connectionId }, to, el);
  }

  private async serverIq(s: Stanza, sender: Sender, target: Target, toLocal = ''): Promise<void> {
    const iq = parse(s.xml);
    if (!iq) return;
    const payload = iq.getChildElements()[0];
    if (target === 'self' && payload?.attrs.xmlns === NS_ROSTER && payload.name === 'query') {
      return this.d.im.rosterIq(iq, payload, { jid: sender.jid, connectionId: s.connectionId }, (el) => this.toSender(sender, el));
    }
    if (target === 'bare' && iq.attrs.type === 'get' && payload?.attrs.xmlns === 'jabber:iq:last' && (await this.d.host.deps.userExists(toLocal))) {
      const answer = await this.d.im.lastQuery(iq, sender.jid.bare.toString(), toLocal);
      if (answer) return this.toSender(sender, answer);
    }
    if (target === 'self' && this.d.blocking && payload?.attrs.xmlns === NS_BLOCKING) {
      const r = await this.d.blocking.iq(sender.jid.local, iq, payload);
      this.toSender(sender, r.reply);
      if (r.push) await this.d.im.pushAll(sender.jid.local, r.push);
      for (const j of r.blocked ?? []) await this.d.im.blockChanged(sender.jid.local, j, true);
      for (const j of r.unblocked ?? []) await this.d.im.blockChanged(sender.jid.local, j, false);
      return;
    }
    if (target === 'self' && this.d.carbons && payload?.attrs.xmlns === NS_CARBONS && iq.attrs.type === 'set' && (payload.name === 'enable' || payload.name === 'disable')) {
      return this.toSender(sender, await this.d.carbons.iq(iq, payload, s.from, s.connectionId));
    }
    const reply = await this.d.host.handleIq(iq, target, s.from, toLocal);
    this.toSender(sender, reply);
  }

  private toFull(s: Stanza, sender: Sender, to: Jid): void | Promise<void> {
    const bare = to.bare.toString();
    const u = this.d.directory.cached(bare);
    const hit = u?.sessions.find((x) => x.resource === to.resource);
    if (hit) return this.deliverTo([hit], u as UserSessions, to.bare, s);
    return this.d.directory.lookup(bare).then((fresh) => {
      const found = fresh.sessions.find((x) => x.resource === to.resource);
      if (found) return this.deliverTo([found], fresh, to.bare, s);
      return this.fullUnavailable(s, sender, to);
    });
  }

  /** RFC 6121 §8.5.3.2: no session with that resource. */
  private fullUnavailable(s: Stanza, sender: Sender, to: Jid): void | Promise<void> {
    if (s.kind === StanzaKind.STANZA_KIND_MESSAGE) {
      if (s.type === 'error') return;
      if (s.type === 'groupchat') return this.bounce(s, sender, 'service-unavailable');
      return this.toBare(s, sender, to.bare);
    }
    if (s.kind === StanzaKind.STANZA_KIND_IQ && (s.type === 'get' || s.type === 'set')) return this.bounce(s, sender, 'service-unavailable');
  }

  private toBare(s: Stanza, sender: Sender, to: Jid): void | Promise<void> {
    const bare = to.bare;
    const self = bare.equals(sender.jid.bare);
    if (s.kind === StanzaKind.STANZA_KIND_IQ) {
      if (s.type !== 'get' && s.type !== 'set') return;
      if (s.undeliverable) return this.bounce(s, sender, 'service-unavailable');
      // RFC 6121 §8.5.2.1.3 / §8.5.1: the server answers for the account.
      return this.serverIq(s, sender, self ? 'self' : 'bare', to.local);
    }
    if (s.kind === StanzaKind.STANZA_KIND_PRESENCE) {
      if (self && s.to === '') return this.ownPresence(s, sender);
      if (s.type !== '' && s.type !== 'unavailable') return; // subscriptions: RFC 6121 §3 (not yet)
    }
    const cached = this.d.directory.cached(bare.toString());
    if (s.shared && s.kind === StanzaKind.STANZA_KIND_MESSAGE && this.hadCopy(s, cached)) return;
    const pick = (u: UserSessions | undefined) => this.bareTargets(s, u, s.undeliverable ? s.connectionId : '');
    const targets = pick(cached);
    if (targets.length || s.kind === StanzaKind.STANZA_KIND_PRESENCE) return this.deliverTo(targets, cached, bare, s);
    // None available in the mirror: read the bucket before bouncing (the mirror may lag a fresh presence).
    return this.d.directory.lookup(bare.toString()).then((u) => {
      const fresh = cached === undefined || u !== cached ? pick(u) : [];
      if (fresh.length) return this.deliverTo(fresh, u, bare, s);
      return this.noResources(s, sender, bare);
    });
  }

  /** RFC 6121 §8.5.2.1: which available resources of a bare JID get the stanza. */
  private bareTargets(s: Stanza, u: UserSessions | undefined, exclude: string): SessionEntry[] {
    // Routing again what could not be delivered: not to the lost connection, nor to an edge found gone.
    const gone = exclude && this.d.edgeGone ? this.d.edgeGone : undefined;
    const avail = (u?.sessions ?? []).filter((x) => x.available && x.priority >= 0 && x.connectionId !== exclude && !gone?.(x.edgeId));
    if (s.kind === StanzaKind.STANZA_KIND_PRESENCE || s.type === 'headline') return avail;
    if (s.type === 'groupchat' || s.type === 'error' || avail.length === 0) return [];
    const top = Math.max(...avail.map((x) => x.priority));
    return avail.filter((x) => x.priority === top);
  }

  /** RFC 6121 §8.5.2.2: no available resource: offline storage (XEP-0160) or service-unavailable. */
  private async noResources(s: Stanza, sender: Sender, bare: Jid): Promise<void> {
    if (s.kind !== StanzaKind.STANZA_KIND_MESSAGE || s.type === 'error' || s.type === 'headline') return;
    const el = this.d.offline && s.type !== 'groupchat' ? parse(s.xml) : undefined;
    if (el && this.d.offline) {
      const r = await this.d.offline(bare.toString(), el);
      if (r === 'stored') return;
      if (r === 'full') return this.bounce(s, sender, 'service-unavailable', 'offline storage is full');
    }
    this.bounce(s, sender, 'service-unavailable');
  }

  /** XEP-0280: the sender's other carbons-enabled resources get a <sent/> copy. */
  private sentCarbons(s: Stanza, sender: Sender): void {
    const own = this.d.directory.cached(sender.jid.bare.toString());
    if (!this.d.carbons || !own || !own.sessions.some((x) => x.carbons)) return;
    this.d.carbons.copy('sent', sender.jid.bare.toString(), own.sessions, new Set([sender.connectionId]), s.type, s.xml);
  }

  /** Presence with no 'to': recorded and broadcast (RFC 6121 §4.2, §4.4, §4.5). */
  private async ownPresence(s: Stanza, sender: Sender): Promise<void> {
    const el = parse(s.xml);
    if (el) await this.d.im.broadcast(el, { jid: sender.jid, connectionId: s.connectionId });
  }

  /** Deliver to these sessions of a user; for a message, the user's other carbons-enabled sessions get a <received/> copy. */
  private deliverTo(targets: SessionEntry[], u: UserSessions | undefined, bare: Jid, s: Stanza): void {
    const shared = targets.length > 1 && s.kind === StanzaKind.STANZA_KIND_MESSAGE;
    for (const t of targets) this.deliver(t, `${bare.toString()}/${t.resource}`, s, shared);
    if (s.kind !== StanzaKind.STANZA_KIND_MESSAGE || !this.d.carbons || !u || !u.sessions.some((x) => x.carbons)) return;
    this.d.carbons.copy('received', bare.toString(), u.sessions, new Set(targets.map((t) => t.connectionId)), s.type, s.xml);
  }

  private deliver(t: SessionEntry, full: string, s: Stanza, shared: boolean): void {
    this.d.deliverer.deliver(t.edgeId, t.connectionId, full, s.xml, s.kind, t.smId !== '', { shared });
  }

  /**
   * A lost copy of a message the routing shared among several sessions
   * (RFC 6121 §8.5.2.1.1): the others had theirs, unless they too are gone
   * (the same connection, or an edge found gone). Routing it again would be
   * a duplicate, so it goes nowhere while one of them is still there.
   */
  private hadCopy(s: Stanza, u: UserSessions | undefined): boolean {
    return !!u?.sessions.some((x) => x.available && x.priority >= 0 && x.connectionId !== s.connectionId && !this.d.edgeGone?.(x.edgeId));
  }

  private toSender(sender: Sender, el: Element): void {
    if (!sender.edgeId) return;
    this.d.deliverer.deliver(sender.edgeId, sender.connectionId, sender.jid.toString(), encoder.encode(el.toString()), 0, sender.sm);
  }

  /**
   * RFC 6120 §10.4.3: another domain, and no server-to-server yet. Every
   * stanza but an error, a result or unavailable presence is answered
   * remote-server-not-found from the JID it was for: directed presence (a
   * client joining a MUC room elsewhere shows the error), and subscription
   * stanzas before any roster change: nothing was delivered, so no Pending
   * Out is recorded (it would stay forever, as no answer can ever come).
   */
  private unreachable(s: Stanza, sender: Sender): void {
    if (s.kind === StanzaKind.STANZA_KIND_PRESENCE && s.type === 'unavailable') return;
    this.errorTo(s, sender, new StanzaError('remote-server-not-found'));
  }

  /** Answer with an error (RFC 6120 §8.3), never in reply to an error. */
  private bounce(s: Stanza, sender: Sender, condition: StanzaErrorCondition, text?: string, type?: 'wait'): void {
    // Presence errors only for subscription requests (RFC 6121 §3.1.1: an invalid JID is jid-malformed).
    if (s.kind === StanzaKind.STANZA_KIND_PRESENCE && !SUBSCRIPTION_TYPES.has(s.type)) return;
    this.errorTo(s, sender, new StanzaError(condition, text, type));
  }

  private errorTo(s: Stanza, sender: Sender, error: StanzaError): void {
    if (s.type === 'error' || s.type === 'result') return;
    const el = parse(s.xml);
    if (!el) return;
    const reply = errorReply(el, error, s.to || undefined);
    reply.attrs.to = s.from;
    this.toSender(sender, reply);
  }
}

function parse(xml: Uint8Array): Element | undefined {
  const r = parseElement(Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength).toString('utf8'));
  return 'error' in r ? undefined : r;
}
