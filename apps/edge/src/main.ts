// Composition root of the edge service.
import { connectivityGate } from '@cx/bus';
import { createClient, grpcTlsFromSettings } from '@cx/grpc';
import { contactAddresses, serverCaps } from '@cx/modules';
import { authv1, routerv1, sessionv1 } from '@cx/proto';
import { main, runService } from '@cx/runtime';
import { edgeConfig } from './config';
import { EdgeServer } from './edge-server';
import { startInbox } from './inbox';
import { RouterLink } from './router-link';
import { SaslLink } from './sasl-link';
import { SessionLink } from './session-link';
import { edgeServices } from './services';
import { lapseAudit } from './session-audit';
import { watchAuthOffer } from './auth-offer';
import { SmStore, smRetentionMs } from '@cx/sm';
import { StreamManager } from './sm/stream-manager';
import { OfflineReports } from './offline-reports';
import { parseComponents } from '@cx/component';
import { ComponentRegistry } from '@cx/component-registry';
import { ComponentServer } from './component/component-server';
import { authenticatedLimits, preauthParserOptions, stanzaPolicy } from './stanza-limits';

main(() =>
  runService('edge', edgeConfig, async ({ config, log: baseLog, bus }) => {
    const log = baseLog.child({ edge: config.EDGE_ID });
    const tls = grpcTlsFromSettings(config);
    const auth = createClient(authv1.AuthServiceClient, config.AUTH_ADDR, {}, tls);
    const sessionClient = createClient(sessionv1.SessionServiceClient, config.SESSION_ADDR, {}, tls);
    const session = new SessionLink(sessionClient, {
      size: config.SESSION_STREAMS,
      timeoutMs: config.SESSION_SERVICE_TIMEOUT_MS,
      resumeHoldMs: config.SM_RESUME_TIMEOUT_S * 1000,
      log,
    });
    const routerClient = createClient(routerv1.RouterServiceClient, config.ROUTER_ADDR, {}, tls);
    const sasl = new SaslLink(auth, { size: config.AUTH_STREAMS, timeoutMs: config.AUTH_SERVICE_TIMEOUT_MS, log });
    const router = new RouterLink({
      client: routerClient,
      edgeId: config.EDGE_ID,
      size: config.ROUTER_STREAMS,
      log,
      // A router confirmed a stream-managed client's stanzas: what <a h/> may count (XEP-0198).
      confirmed: (connectionId, h) => server.connections.get(connectionId)?.sm?.confirm(h),
    });
    const ctx = EdgeServer.context(config, serverCaps(config.XMPP_DOMAIN, { modules: config.ROUTER_MODULES, contacts: contactAddresses(config) }));
    const stopOffer = await watchAuthOffer(auth, ctx, log);
    const sm = config.SM_ENABLED
      ? new StreamManager(
          await SmStore.open(bus, smRetentionMs(config.SM_RESUME_TIMEOUT_S)),
          session,
          {
            edgeId: config.EDGE_ID,
            resumeTimeoutS: config.SM_RESUME_TIMEOUT_S,
            handoverGraceMs: config.SM_HANDOVER_GRACE_MS,
            maxUnackedBytes: config.SM_MAX_UNACKED_BYTES,
          },
          log,
        )
      : undefined;
    const offlineReports = new OfflineReports(bus.nc, log);
    const offlineHandled = (bare: string, seqs: readonly number[]) => offlineReports.handled(bare, seqs);
    const services = edgeServices({
      domain: config.XMPP_DOMAIN,
      edgeId: config.EDGE_ID,
      auth,
      session,
      sasl,
      router,
      sm,
      offlineHandled,
      log,
      authTimeoutMs: config.AUTH_SERVICE_TIMEOUT_MS,
      onEnded: (conn) => server.forget(conn),
      busUp: () => bus.connected,
      busBack: connectivityGate(bus),
    });
    const server: EdgeServer = new EdgeServer(config, ctx, () => services, log);
    const componentSecrets = parseComponents(config.COMPONENTS, config.XMPP_DOMAIN);
    const policy = stanzaPolicy(config);
    const components =
      componentSecrets.size && config.COMPONENT_PORT
        ? new ComponentServer({
            edgeId: config.EDGE_ID,
            host: config.COMPONENT_HOST,
            port: config.COMPONENT_PORT,
            secrets: componentSecrets,
            registry: await ComponentRegistry.open(bus),
            nc: bus.nc,
            route: (slot, stanza) => router.send(slot, stanza),
            preauthLimits: preauthParserOptions(policy),
            limits: { ...preauthParserOptions(policy), ...authenticatedLimits(policy) },
            handshakeTimeoutMs: config.AUTH_TIMEOUT_MS,
            maxSendBuffer: config.MAX_SEND_BUFFER_BYTES,
            log,
          })
        : undefined;
    const stopInbox = startInbox({
      bus,
      edgeId: config.EDGE_ID,
      connections: server.connections,
      components: components?.connections,
      log,
      bounce: (stanza) => router.send(0, stanza),
    });
    if (sm) {
      // Stream deliveries for connections whose <enable/> is still in flight are written as usual.
      sm.endSession = (connectionId, jid) => services.unbind(connectionId, jid);
      sm.offlineHandled = offlineHandled;
      sm.unmanaged = (d) => {
        const c = server.connections.get(d.connectionId);
        if (c && c.established && c.jid === d.to) c.deliver(d.xml, d.kind, d.offlineSeq);
      };
      await sm.start();
    }
    await bus.nc.flush();
    await server.startHeartbeat(
      bus,
      lapseAudit({ edgeId: config.EDGE_ID, session, sessionClient, connections: server.connections, againAfterMs: config.HEARTBEAT_INTERVAL_MS, log }),
    );
    const port = await server.listen();
    const tlsPort = await server.listenTls();
    const wsPort = await server.listenWs();
    const componentPort = await components?.listen();
    server.startLiveness();
    log.info(
      {
        port,
        tlsPort,
        wsPort,
        componentPort,
        components: [...componentSecrets.keys()],
        starttls: ctx.tls,
        requireEncryption: ctx.requireEncryption,
        domain: config.XMPP_DOMAIN,
        mechanisms: ctx.mechanisms,
      },
      'edge ready for clients',
    );
    return {
      stop: async () => {
        await components?.stop();
        await server.stop();
        stopOffer();
        await router.close();
        sasl.close();
        session.close();
        stopInbox();
        await offlineReports.stop();
      },
    };
  }),
);
