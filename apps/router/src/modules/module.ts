// The router's module system (docs/architecture.md, "Writing a router
// module"): a module is a name, what it advertises (a @cx/modules
// ServerModule: disco identities and features of the hosted addresses, IQ
// handlers that need nothing of the router) and a setup that hooks the
// router's events and adds IQ handlers with the services it needs, like
// Prosody's module:hook and ejabberd's ejabberd_hooks. ROUTER_MODULES says
// which are enabled; they load in the order of routerModules (index.ts).
import { Hooks, ModuleHost, type ModuleDeps, type ServerModule } from '@cx/modules';
import type { Bus } from '@cx/bus';
import type { Logger } from '@cx/log';
import type { routerv1 } from '@cx/proto';
import type { RosterStore } from '@cx/roster';
import type { SessionDirectory, SessionEntry, UserSessions } from '@cx/session-directory';
import type { Jid } from '@cx/xmpp-core';
import type { RouterConfig } from '../config';
import type { Deliverer } from '../deliverer';
import type { Im } from '../im/im';
import type { Out } from '../im/presence-out';
import type { PresenceLink } from '../presence-link';
import type { Router, Sender } from '../routing';
import type { UserRemoval } from '../user-removal';
import type { eventsv1 } from '@cx/proto';

type Stanza = routerv1.Stanza;

/** A stanza from a client, addressed to this domain, before routing. */
export interface StanzaIn {
  s: Stanza;
  sender: Sender;
  to: Jid;
}

/** A message about to go to `targets`, sessions of `bare` (STOP: it does not). */
export interface MessageDelivery {
  s: Stanza;
  bare: Jid;
  targets: readonly SessionEntry[];
  /** The user's sessions as routing saw them. */
  user: UserSessions | undefined;
}

/** A message for `to` (a bare JID) that no session can take (RFC 6121 §8.5.2.2). */
export interface MessageUndelivered {
  s: Stanza;
  sender: Sender;
  to: Jid;
  /** Does the recipient's account exist? Asked of auth once per message, however many modules want to know. */
  recipientExists(): Promise<boolean>;
}

/** A session sent its initial presence (RFC 6121 §4.2); `me` is its registry entry. */
export interface InitialPresence {
  user: string;
  bare: string;
  me: SessionEntry;
}

/** A session went unavailable (its unavailable presence, or its end); `others`: the user's sessions still available. */
export interface UnavailablePresence {
  user: string;
  status: string;
  others: readonly SessionEntry[];
}

/** `toBare` may see `user`'s presence from now on (a subscription approved, an unblock): it was sent the user's presence. */
export interface PresenceAllowed {
  user: string;
  toBare: string;
}

/** The router's hooks, in the order a stanza meets them. */
export interface RouterEvents {
  'stanza-in': StanzaIn;
  /** A stanza for another domain, before remote-server-not-found: a service of this server (MUC) takes it with STOP. */
  'stanza-service': StanzaIn;
  'message-deliver': MessageDelivery;
  'message-delivered': MessageDelivery;
  'message-undelivered': MessageUndelivered;
  'presence-initial': InitialPresence;
  'presence-unavailable': UnavailablePresence;
  'presence-allowed': PresenceAllowed;
  'session-ended': eventsv1.SessionEnded;
}

export type RouterHooks = Hooks<RouterEvents>;

/** What a module's setup may use. */
export interface RouterContext {
  readonly domain: string;
  readonly config: RouterConfig;
  readonly log: Logger;
  readonly bus: Bus;
  readonly hooks: RouterHooks;
  /** IQ handlers and hosted addresses (add with host.handle). */
  readonly host: ModuleHost;
  readonly deps: ModuleDeps;
  /** Answers and errors to a sender (Router.toSender, bounce, errorTo). */
  readonly router: Router;
  readonly directory: SessionDirectory;
  readonly deliverer: Deliverer;
  readonly out: Out;
  readonly im: Im;
  readonly rosters: RosterStore;
  readonly presenceLink: PresenceLink;
  /** Account removal, by stage: register what the module keeps per user. */
  readonly removal: UserRemoval;
  /** Was this account's removal announced lately (recentRemovals)? */
  removedLately(user: string): boolean;
  /** Services modules offer each other (Prosody's module:provides): the block list check. */
  readonly shared: SharedServices;
}

export interface SharedServices {
  /** XEP-0191: does `user` block `other`? Set by the blocking module. */
  blocks?: (user: string, other: Jid) => boolean;
  /** Each resolves once what a module began storing for stanzas routed so far is stored (never rejects); a RouteAck waits for them all. The mam module's appends, the muc module's room inbox. */
  stored: Array<() => Promise<void>>;
  /** Did this connection fetch its history (a MAM query) lately? Its archived offline messages are then not handed over again. Set by the mam module. */
  historySynced?: (connectionId: string) => boolean;
  /** Empty an account's message archive (xmppctl purge-archive). Set by the mam module. */
  purgeArchive?: (user: string) => Promise<void>;
}

export interface RouterModule {
  readonly name: string;
  /** What it advertises and the IQ handlers that need nothing of the router. */
  readonly serves?: ServerModule;
  /**
   * Modules it cannot serve its features without, each with the reason: the
   * start fails when one is not enabled (what it advertises would not work).
   */
  readonly requires?: Readonly<Record<string, string>>;
  /** Hook events, add IQ handlers; returns how to stop (followers, timers). */
  setup?(ctx: RouterContext): void | (() => void | Promise<void>) | Promise<void | (() => void | Promise<void>)>;
}

/** The modules ROUTER_MODULES names, in load order; an unknown name, or a module without one it requires, fails the start. */
export function enabledModules(all: readonly RouterModule[], names: readonly string[]): RouterModule[] {
  const known = new Set(all.map((m) => m.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length)
    throw new Error(
      `ROUTER_MODULES: unknown module${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${[...known].join(', ')})`,
    );
  const enabled = all.filter((m) => names.includes(m.name));
  const missing = enabled.flatMap((m) =>
    Object.entries(m.requires ?? {}).flatMap(([r, why]) => (names.includes(r) ? [] : [`"${m.name}" needs "${r}" (${why})`])),
  );
  if (missing.length) throw new Error(`ROUTER_MODULES: ${missing.join('; ')}`);
  return enabled;
}

/** The host serving the enabled modules' IQ handlers and disco. */
export function moduleHost(domain: string, modules: readonly RouterModule[], deps: ModuleDeps): ModuleHost {
  return new ModuleHost(
    domain,
    modules.flatMap((m) => (m.serves ? [m.serves] : [])),
    deps,
  );
}

/**
 * Run the setups in order. A module that advertises a feature must serve it:
 * with IQ handlers, hooks, or by saying who does (servedBy, the edge).
 */
export async function loadModules(modules: readonly RouterModule[], ctx: RouterContext): Promise<() => Promise<void>> {
  const stops: Array<() => void | Promise<void>> = [];
  for (const m of modules) {
    const stop = await m.setup?.(ctx);
    if (stop) stops.push(stop);
    const s = m.serves;
    if (s?.features?.length && !s.servedBy && !Object.keys(s.handlers ?? {}).length && !ctx.host.modulesHandling().has(m.name) && !ctx.hooks.hookedBy(m.name)) {
      throw new Error(`router module "${m.name}" advertises ${s.features.join(', ')} but serves nothing`);
    }
  }
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
