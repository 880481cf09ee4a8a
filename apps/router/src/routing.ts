// Where a stanza from a client session goes (RFC 6120 §10, RFC 6121 §8.5):
// to the server's modules, to one session, to the best resources of a bare
// JID, or back to the sender as an error. Lookups are in the local session
// mirror; only error paths parse the XML. Everything else is a module's
// (modules/): the router fires its hooks where a stanza arrives, is about to
// be delivered, was delivered or found no session, and hands IQs for the
// server or an account to the module host.
import { elementFromBytes, isSubscription } from '@cx/stanza';
import { errorReply, StanzaError, tryParseJid, type Element, type Jid, type StanzaErrorCondition } from '@cx/xmpp-core';
import type { ModuleHost, Target } from '@cx/modules';
import { routerv1 } from '@cx/proto';
import type { SessionDirectory, SessionEntry, UserSessions } from '@cx/session-directory';
import type { Deliverer } from './deliverer';
import type { MessageDelivery, RouterHooks } from './modules/module';

const { StanzaKind } = routerv1;
type Stanza = routerv1.Stanza;

export interface RoutingDeps {
  domain: string;
  directory: SessionDirectory;
  deliverer: Deliverer;
  host: ModuleHost;
  hooks: RouterHooks;
  /** The edge was found gone (nobody reads its subject): its sessions got nothing. */
  edgeGone?: (edgeId: string) => boolean;
}

export interface Sender {
  edgeId: string;
  connectionId: string;
  jid: Jid;
  /** Stream management is on: replies go through the stream xmpp_sm. */
  sm?: boolean;
}

const encoder = new TextEncoder();

export class Router {
  constructor(private readonly d: RoutingDeps) {}

  /** Route one stanza; returns a promise only when it had to wait. */
  route(s: Stanza, edgeId: string): void | Promise<void> {
    const from = tryParseJid(s.from);
    if (!from) return;
    const sender: Sender = s.undeliverable ? this.locate(from) : { edgeId, connectionId: s.connectionId, jid: from, sm: s.smIn > 0 };
    const to = s.to === '' ? from.bare : tryParseJid(s.to);
    if (!to) return this.bounce(s, sender, 'jid-malformed');
    if (to.domain !== this.d.domain) return this.toService(s, sender, to);
    // From an external component (XEP-0114), as from another server: it has no account here, so the
    // sender's side (its archive, carbons, presence broadcast, blocking) does not apply.
    if (s.component || from.domain !== this.d.domain) return this.onward(s, sender, to);
    // Blocking, subscriptions, one's own and directed presence, sent carbons: modules, by priority.
    const handled = this.d.hooks.fire('stanza-in', { s, sender, to });
    if (handled === true) return;
    if (handled !== false) return handled.then((stop) => (stop ? undefined : this.onward(s, sender, to)));
    return this.onward(s, sender, to);
  }

  /** Another domain: a service of this server (a hook stops it: MUC's conference host), else remote-server-not-found. */
  private toService(s: Stanza, sender: Sender, to: Jid): void | Promise<void> {
    const handled = this.d.hooks.has('stanza-service') ? this.d.hooks.fire('stanza-service', { s, sender, to }) : false;
    if (handled === true) return;
    if (handled === false) return this.unreachable(s, sender);
    return handled.then((stop) => (stop ? undefined : this.unreachable(s, sender)));
  }

  private onward(s: Stanza, sender: Sender, to: Jid): void | Promise<void> {
    if (to.local === '') return this.toServer(s, sender, to);
    if (s.undeliverable || to.resource === '') return this.toBare(s, sender, to);
    if (s.kind === StanzaKind.STANZA_KIND_IQ && (s.type === 'get' || s.type === 'set') && this.d.host.servesTarget('full')) {
      // A module answers this iq to a full JID instead of its session (ModuleHost target 'full').
      const iq = parse(s.xml);
      if (iq && this.d.host.handles(iq, 'full')) return this.serverIq(s, sender, 'full', to.local, iq);
    }
    return this.toFull(s, sender, to);
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

  /** An iq get/set for the server or an account: the module host's handlers answer (and may send more). */
  private async serverIq(s: Stanza, sender: Sender, target: Target, toLocal = '', parsed?: Element): Promise<void> {
    const iq = parsed ?? parse(s.xml);
    if (!iq) return;
    const reply = await this.d.host.handleIq(iq, target, s.from, toLocal, { connectionId: s.connectionId, send: (el: Element) => this.toSender(sender, el) });
    if (reply) this.toSender(sender, reply);
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
      if (self && s.to === '') return; // one's own presence: the presence module's, if enabled
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

  /**
   * RFC 6121 §8.5.2.2: no available resource: a module may take the message
   * (offline storage, XEP-0160), else service-unavailable.
   */
  private async noResources(s: Stanza, sender: Sender, bare: Jid): Promise<void> {
    if (s.kind !== StanzaKind.STANZA_KIND_MESSAGE || s.type === 'error' || s.type === 'headline') return;
    let exists: Promise<boolean> | undefined;
    const recipientExists = () => (exists ??= this.d.host.deps.userExists(bare.local ?? ''));
    if (await this.d.hooks.fire('message-undelivered', { s, sender, to: bare, recipientExists })) return;
    this.bounce(s, sender, 'service-unavailable');
  }

  /**
   * Deliver to these sessions of a user. A message goes through the hooks
   * 'message-deliver' (a module may keep it) and 'message-delivered' (the
   * received carbons).
   */
  private deliverTo(targets: SessionEntry[], u: UserSessions | undefined, bare: Jid, s: Stanza): void | Promise<void> {
    if (s.kind !== StanzaKind.STANZA_KIND_MESSAGE) {
      for (const t of targets) this.deliver(t, `${bare.toString()}/${t.resource}`, s, false);
      return;
    }
    const ev: MessageDelivery = { s, bare, targets, user: u };
    const kept = this.d.hooks.has('message-deliver') ? this.d.hooks.fire('message-deliver', ev) : false;
    if (kept === false) return this.deliverMessage(ev);
    if (kept !== true) return kept.then((stop) => (stop ? undefined : this.deliverMessage(ev)));
  }

  private deliverMessage(ev: MessageDelivery): void | Promise<void> {
    const { s, bare, targets } = ev;
    const shared = targets.length > 1;
    for (const t of targets) this.deliver(t, `${bare.toString()}/${t.resource}`, s, shared);
    const after = this.d.hooks.fire('message-delivered', ev);
    if (after !== true && after !== false) return after.then(() => undefined);
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

  /** Send to the sender's session (replies, errors). */
  toSender(sender: Sender, el: Element): void {
    if (!sender.edgeId) return;
    this.d.deliverer.deliver(
      sender.edgeId,
      sender.connectionId,
      sender.jid.toString(),
      encoder.encode(el.toString()),
      StanzaKind.STANZA_KIND_UNSPECIFIED,
      sender.sm,
    );
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
  bounce(s: Stanza, sender: Sender, condition: StanzaErrorCondition, text?: string, type?: 'wait'): void {
    // Presence errors only for subscription requests (RFC 6121 §3.1.1: an invalid JID is jid-malformed).
    if (s.kind === StanzaKind.STANZA_KIND_PRESENCE && !isSubscription(s.type)) return;
    this.errorTo(s, sender, new StanzaError(condition, text, type));
  }

  errorTo(s: Stanza, sender: Sender, error: StanzaError): void {
    if (s.type === 'error' || s.type === 'result') return;
    const el = parse(s.xml);
    if (!el) return;
    const reply = errorReply(el, error, s.to || undefined);
    reply.attrs.to = s.from;
    this.toSender(sender, reply);
  }

  /** The stanza's element (undefined when it does not parse). */
  parse(s: Stanza): Element | undefined {
    return parse(s.xml);
  }
}

const parse = elementFromBytes;
