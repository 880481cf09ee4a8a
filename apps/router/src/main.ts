// Composition root of the router service.
import { adminInterceptors, call, createClient, grpcTlsFromSettings, OpenStreams, startGrpcServer, together, withAdminToken } from '@cx/grpc';
import { contactAddresses, Hooks } from '@cx/modules';
import { authv1, routeradminv1, routerv1, sessionv1 } from '@cx/proto';
import { connectivityGate, presenceEvents, recentRemovals } from '@cx/bus';
import { main, runService } from '@cx/runtime';
import { SessionDirectory } from '@cx/session-directory';
import { routerConfig } from './config';
import { Deliverer } from './deliverer';
import { moduleDeps } from './module-deps';
import { routerService } from './router-service';
import { Router } from './routing';
import { Im } from './im/im';
import { Out } from './im/presence-out';
import { RosterStore } from '@cx/roster';
import { onSessionEnded } from './session-events';
import { PresenceLink } from './presence-link';
import { SmStore, smRetentionMs, undeliverableStanza } from '@cx/sm';
import { rescueUnacked } from './sm-rescue';
import { countLost, countResent, countRouted, countStoreRejection } from './metrics';
import { mucDomain } from './modules/muc/muc-domain';
import { uploadDomain } from './modules/upload';
import { proxyDomain } from './modules/proxy65';
import { enabledModules, loadModules, moduleHost, routerModules, type RouterEvents, type SharedServices } from './modules';
import { rosterLimits } from './store-limits';
import { routerAdminService } from './admin-service';
import { tracePublishOptions, useAsyncContext } from '@cx/tracing';
import { UserRemoval } from './user-removal';

/** How long an edge found gone (no one reads its subject) counts as gone for shared copies. */
const GONE_EDGE_MS = 60_000;
import { endSessions, followRemovals } from './account-removed';

main(() =>
  runService('router', routerConfig, async ({ config, log, bus }) => {
    // Routing awaits (registry, rosters) before it delivers or calls: traces must follow.
    await useAsyncContext();
    const directory = await SessionDirectory.open(bus, log);
    const tls = grpcTlsFromSettings(config);
    const sessions = createClient(sessionv1.SessionServiceClient, config.SESSION_ADDR, {}, tls);
    const auth = createClient(authv1.AuthServiceClient, config.AUTH_ADDR, {}, tls);
    // Ending a removed account's sessions is an admin call (the edge may not make it).
    const sessionAdmin = createClient(
      sessionv1.SessionServiceClient,
      config.SESSION_ADMIN_ADDR,
      { interceptors: config.ADMIN_TOKEN ? [withAdminToken(config.ADMIN_TOKEN)] : [] },
      tls,
    );
    // SetPresence over long-lived streams (a unary call each cost more than the rest of initial presence).
    const presenceLink = new PresenceLink(sessions, { size: 2, timeoutMs: 5000, log });
    const deliverer = new Deliverer(bus.nc);
    const deps = moduleDeps(bus, auth, config.XMPP_DOMAIN, {
      limits: { privateMaxItems: config.PRIVATE_MAX_ITEMS, privateMaxBytes: config.PRIVATE_MAX_BYTES, vcardMaxBytes: config.VCARD_MAX_BYTES },
      contacts: contactAddresses(config),
      mucDomain: mucDomain(config),
      uploadDomain: uploadDomain(config),
      proxyDomain: proxyDomain(config),
    });
    // The modules ROUTER_MODULES enables (an unknown name fails here); they are set up below, once the router exists.
    const modules = enabledModules(routerModules, config.ROUTER_MODULES);
    const host = moduleHost(config.XMPP_DOMAIN, modules, deps);
    host.onError = (err, key) => log.error({ err, handler: key }, 'server module failed');
    const hooks = new Hooks<RouterEvents>();
    const shared: SharedServices = { stored: [] };
    const out = new Out(directory, deliverer);
    // Removals announced in the last 10 minutes (last activity is not written back for them).
    const removedLately = recentRemovals(bus, 10 * 60_000);
    const rosters = await RosterStore.open(bus, { limits: rosterLimits(config) });
    const im = new Im({
      domain: config.XMPP_DOMAIN,
      hooks,
      // XEP-0191: blocked contacts get no presence and give none (the blocking module's list, set up below).
      blocks: modules.some((m) => m.name === 'blocking') ? (user, other) => shared.blocks?.(user, other) ?? false : undefined,
      userExists: (username) => deps.userExists(username),
      // Only on request: nothing in the server reads them, and every presence change paid for the message.
      presenceChanged: config.PRESENCE_CHANGED_EVENTS
        ? (fullJid, available, priority, stanza) =>
            presenceEvents.changed.publish(bus.nc, { fullJid, available, priority, stanza: Buffer.from(stanza), atMs: Date.now() }, tracePublishOptions())
        : undefined,
      rosters,
      rejected: countStoreRejection,
      out,
      updateSession: async (fullJid, connectionId, u) => {
        const r = await presenceLink.setPresence({ fullJid, connectionId, ...u, presence: u.presence && Buffer.from(u.presence) });
        return { wasAvailable: r.wasAvailable, directed: r.directed, directedRefused: r.directedRefused, tooLarge: r.tooLarge, revision: r.revision };
      },
    });
    // Edges found gone (their deliveries lost) lately: their sessions did not get a shared copy either.
    const goneEdges = new Map<string, number>();
    const edgeGone = (edgeId: string) => (goneEdges.get(edgeId) ?? 0) > Date.now();
    const router = new Router({ domain: config.XMPP_DOMAIN, directory, deliverer, host, hooks, edgeGone });
    // Deliveries to an edge that is gone (nobody reads its subject): RFC 6121's way, as for a connection that is gone.
    deliverer.onLost = (edgeId, deliveries) => {
      goneEdges.set(edgeId, Date.now() + GONE_EDGE_MS);
      countLost(deliveries.length);
      log.warn({ edgeId, count: deliveries.length }, 'deliveries to an edge that is gone: routing them again as undeliverable');
      for (const del of deliveries) {
        const s = undeliverableStanza(del);
        if (s) void Promise.resolve(router.route(s, '')).catch((err: Error) => log.error({ err, to: s.to }, 'routing a lost delivery failed'));
      }
    };
    const sm = await SmStore.open(bus, smRetentionMs(config.SM_RESUME_TIMEOUT_S));
    // Account removal: one registration per piece of per-user state (docs/architecture.md); modules add theirs.
    const removal = new UserRemoval()
      .register(
        'sessions',
        endSessions({
          domain: config.XMPP_DOMAIN,
          directory,
          kick: async (jid, condition, text) => void (await call(sessionAdmin.kick.bind(sessionAdmin), { jid, condition, text }, 5000)),
          dropSmState: (smId) => sm.dropState(smId),
        }),
        'sessions',
      )
      .register('modules', (r) => host.removeUser(r.user));
    const stopModules = await loadModules(modules, {
      domain: config.XMPP_DOMAIN,
      config,
      log,
      bus,
      hooks,
      host,
      deps,
      router,
      directory,
      deliverer,
      out,
      im,
      rosters,
      presenceLink,
      removal,
      shared,
      removedLately: (user) => removedLately.has(user),
    });
    // Stanzas a session had not acknowledged when it ended go again, after the modules had the end (presence).
    hooks.on('session-ended', (ev) => rescueUnacked(ev, sm, (s) => void router.route(s, ''), log), { module: 'core' });
    log.info({ modules: modules.map((m) => m.name) }, 'router modules loaded');
    const stopRemovals = await followRemovals({ bus, removal, userExists: (u) => deps.userExists(u), log });
    const stopEnded = onSessionEnded(bus, async (ev) => void (await hooks.fire('session-ended', ev)), log);
    const streams = new OpenStreams();
    const grpc = await startGrpcServer({
      streams,
      tls,
      host: config.GRPC_HOST,
      port: config.ROUTER_GRPC_PORT,
      services: [
        [
          routerv1.RouterServiceService,
          routerService({
            router,
            log,
            streams,
            onRouted: countRouted,
            onResent: countResent,
            inAck: (edgeId, connectionId, h) => deliverer.inAck(edgeId, connectionId, h),
            // Also what modules stored for the routed stanzas (the archive's appends): confirmed once stored.
            durable: () =>
              shared.stored.length ? Promise.all([deliverer.durable(), ...shared.stored.map((f) => f())]).then(() => undefined) : deliverer.durable(),
            busGate: connectivityGate(bus),
          }) as never,
        ],
      ],
    });
    // Sending as any JID (xmppctl send) only on the admin port.
    const admin = await startGrpcServer({
      tls,
      host: config.GRPC_HOST,
      port: config.ROUTER_ADMIN_PORT,
      services: [
        [
          routeradminv1.RouterAdminServiceService,
          routerAdminService({
            domain: config.XMPP_DOMAIN,
            router,
            userExists: (u) => deps.userExists(u),
            purgeArchive: shared.purgeArchive,
            log,
          }) as never,
        ],
      ],
      interceptors: adminInterceptors(config.ADMIN_TOKEN),
    });
    const servers = together(grpc, admin);
    servers.setServing(true);
    bus.onConnectivity(servers.setServing);
    log.info({ port: grpc.port, adminPort: admin.port, mtls: !!tls, adminToken: !!config.ADMIN_TOKEN }, 'router service ready');
    return {
      stop: async () => {
        stopEnded();
        await stopModules();
        await stopRemovals();
        removedLately.stop();
        await servers.shutdown(config.SHUTDOWN_TIMEOUT_MS);
        deliverer.flush();
        directory.stop();
        presenceLink.close();
        sessions.close();
        sessionAdmin.close();
        auth.close();
      },
    };
  }),
);
