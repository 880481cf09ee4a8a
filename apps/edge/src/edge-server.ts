// The c2s listener: accepts TCP connections, keeps the table of this edge's
// connections, and announces the edge's liveness in the "edges" bucket.
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { TlsContext } from './tls-context';
import type { Server as HttpServer } from 'node:http';
import { createWsServer, WS_FRAMING_SLACK, WS_PATH } from './ws-server';
import type { Wire } from './wire';
import { IpLimits } from './ip-limits';
import { FlowControl } from './flow-control';
import { shutdownError } from './shutdown';
import { startHeartbeat } from './heartbeat';
import { randomBytes, randomUUID } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import { stanzaPolicy, type StanzaPolicy } from './stanza-limits';
import { createMachine, defaultModules, type C2sContext } from '@cx/c2s';
import { buckets, type Bus, type KV } from '@cx/bus';
import type { Logger } from '@cx/log';
import { eventsv1 } from '@cx/proto';
import { Connection } from './connection';
import type { EdgeConfig } from './config';
import type { EdgeServices } from './services';

const connectionsGauge = new Gauge({ name: 'xmpp_edge_connections', help: 'Open client connections', labelNames: ['transport'] });
const limitsRefused = new Counter({ name: 'xmpp_edge_connections_refused_total', help: 'Connections refused by a limit', labelNames: ['limit'] });

export class EdgeServer {
  readonly connections = new Map<string, Connection>();
  private readonly machine = createMachine(defaultModules);
  private server?: Server;
  private edges?: KV;
  private stopHeartbeat?: () => void;
  private seq = 0;
  private readonly boot = randomBytes(3).toString('base64url');
  private tlsServer?: TlsServer;
  private wsServer?: HttpServer;
  private liveness?: NodeJS.Timeout;
  private readonly limits: IpLimits;
  private readonly transports = new Map<string, string>();
  private readonly wsCtx: C2sContext;
  private readonly stanzaPolicy: StanzaPolicy;
  readonly tls?: TlsContext;

  constructor(
    private readonly config: EdgeConfig,
    private readonly ctx: C2sContext,
    private readonly services: () => EdgeServices,
    private readonly log: Logger,
  ) {
    if (ctx.tls) this.tls = new TlsContext(config.TLS_CERT_FILE, config.TLS_KEY_FILE, log);
    this.limits = new IpLimits(
      config.MAX_CONNECTIONS_PER_IP,
      config.MAX_AUTH_FAILURES_PER_IP,
      config.AUTH_FAILURE_WINDOW_MS,
      config.MAX_CONNECTIONS_PER_IP_EXEMPT,
    );
    this.stanzaPolicy = stanzaPolicy(config);
    // Reads everything else (mechanisms, registration) from ctx as it changes.
    // TLS in front (a wss:// URL) counts as encryption for PLAIN and DIGEST-MD5.
    const wsAllowPlaintext = ctx.allowPlaintextAuth === true || config.WS_PUBLIC_URL.startsWith('wss://');
    this.wsCtx = Object.create(ctx, {
      tls: { value: false },
      requireEncryption: { value: false },
      allowPlaintextAuth: { value: wsAllowPlaintext },
    }) as C2sContext;
  }

  static context(config: EdgeConfig, caps: C2sContext['caps']): C2sContext & { mechanisms: string[]; registrationOpen: boolean } {
    const tls = config.TLS_CERT_FILE !== '' && config.TLS_KEY_FILE !== '';
    const loopback = ['127.0.0.1', '::1', 'localhost'].includes(config.C2S_HOST);
    const requireEncryption = tls && (config.REQUIRE_ENCRYPTION === 'always' || (config.REQUIRE_ENCRYPTION === 'auto' && !loopback));
    const allowPlaintextAuth = config.ALLOW_PLAINTEXT_AUTH;
    return {
      domain: config.XMPP_DOMAIN,
      mechanisms: [],
      registrationOpen: false,
      maxAuthFailures: config.MAX_AUTH_FAILURES,
      maxAuthRefusals: config.MAX_AUTH_REFUSALS,
      caps,
      newStreamId: randomUUID,
      tls,
      requireEncryption,
      allowPlaintextAuth,
      streamManagement: config.SM_ENABLED,
      pingIntervalMs: config.PING_INTERVAL_MS,
      pingTimeoutMs: config.PING_TIMEOUT_MS,
      answerPings: config.ROUTER_MODULES.includes('ping'),
    };
  }

  /** Announce liveness first: the session service ends sessions of edges it does not see. onLapse: the entry had lapsed (heartbeat.ts). */
  async startHeartbeat(bus: Bus, onLapse: () => void): Promise<void> {
    this.edges = await bus.bucket(buckets.edges, { ttl: this.config.EDGE_TTL_MS });
    const payload = () => eventsv1.EdgeHeartbeat.encode({ edgeId: this.config.EDGE_ID, atMs: Date.now(), connections: this.connections.size }).finish();
    this.stopHeartbeat = await startHeartbeat(
      this.edges,
      { edgeId: this.config.EDGE_ID, intervalMs: this.config.HEARTBEAT_INTERVAL_MS, payload, onLapse },
      this.log,
    );
  }

  private accept(socket: Wire, transport: 'tcp' | 'tls' | 'websocket'): void {
    const ip = socket.remoteAddress ?? '';
    if (!this.limits.open(ip)) {
      limitsRefused.inc({ limit: 'connections-per-ip' });
      // RFC 6120 §4.9.3.14: a header, the error, and the end.
      const refusal =
        `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='${this.config.XMPP_DOMAIN}' version='1.0'>` +
        `<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>too many connections from your address</text></stream:error></stream:stream>`;
      socket.write(refusal);
      socket.end();
      return;
    }
    // Unique beyond this process: a restarted edge keeps its EDGE_ID (the pod name), and the stream xmpp_sm still holds deliveries for its old connections.
    const id = `${this.boot}${(++this.seq).toString(36)}`;
    // No STARTTLS over WebSocket (RFC 7395 §3.7): encryption is wss, terminated in front of the edge.
    const ctx = transport === 'websocket' ? this.wsCtx : this.ctx;
    const c = this.config;
    const flow = FlowControl.create({ bytesPerSecond: c.SHAPER_BYTES_PER_SEC, burstBytes: c.SHAPER_BURST_BYTES, maxSendBuffer: c.MAX_SEND_BUFFER_BYTES });
    const conn = new Connection({
      id,
      socket,
      machine: this.machine,
      ctx,
      services: this.services(),
      log: this.log,
      stanzaPolicy: this.stanzaPolicy,
      tls: this.tls,
      secure: transport === 'tls',
      authTimeoutMs: c.AUTH_TIMEOUT_MS,
      limits: this.limits,
      csiMaxBytes: c.CSI_MAX_BUFFER_BYTES,
      flow,
    });
    this.connections.set(id, conn);
    this.transports.set(id, transport);
    connectionsGauge.inc({ transport });
  }

  /** RFC 7395 WebSocket listener with XEP-0156 discovery. */
  listenWs(): Promise<number> | undefined {
    if (!this.config.WS_PORT) return undefined;
    let port = this.config.WS_PORT;
    const url = () => this.config.WS_PUBLIC_URL || `ws://${this.config.XMPP_DOMAIN}:${port}${WS_PATH}`;
    // A WebSocket message is one element (RFC 7395 §3.3.3): a stanza, or <open/> and <close/>.
    const maxPayload = this.config.MAX_STANZA_BYTES + WS_FRAMING_SLACK;
    const server = createWsServer(url, (wire) => this.accept(wire, 'websocket'), { maxPayload, trustedProxies: this.config.WS_TRUSTED_PROXIES });
    server.on('error', (err) => this.log.error({ err }, 'WebSocket listener error'));
    this.wsServer = server;
    return listenOn(server, this.config.WS_PORT, this.config.C2S_HOST).then((p) => (port = p));
  }

  listen(): Promise<number> {
    const server = createServer((socket) => this.accept(socket, 'tcp'));
    this.server = server;
    server.on('error', (err) => this.log.error({ err }, 'c2s listener error'));
    return listenOn(server, this.config.C2S_PORT, this.config.C2S_HOST);
  }

  /** XEP-0368 direct TLS: the stream is encrypted from the first byte. */
  listenTls(): Promise<number> | undefined {
    const t = this.tls;
    if (!t || !this.config.C2S_TLS_PORT) return undefined;
    const server = createTlsServer({ ...t.options, minVersion: 'TLSv1.2' }, (socket) => this.accept(socket, 'tls'));
    t.onReload((o) => server.setSecureContext(o));
    server.on('tlsClientError', (err) => this.log.debug({ err: err.message }, 'TLS handshake failed'));
    server.on('error', (err) => this.log.error({ err }, 'direct TLS listener error'));
    this.tlsServer = server;
    return listenOn(server, this.config.C2S_TLS_PORT, this.config.C2S_HOST);
  }

  forget(conn: Connection): void {
    if (!this.connections.delete(conn.id)) return;
    connectionsGauge.dec({ transport: this.transports.get(conn.id) ?? 'tcp' });
    this.transports.delete(conn.id);
    this.limits.close(conn.remote);
  }

  /** XEP-0199: one sweep a second over this edge's connections finds dead peers (no timer per connection). */
  startLiveness(): void {
    let seq = 0;
    const sm = this.services().sm;
    this.liveness = setInterval(
      () => {
        const now = Date.now();
        sm?.tick();
        if (!this.config.PING_INTERVAL_MS) return;
        for (const c of this.connections.values()) c.checkLiveness(now, ++seq);
      },
      Math.min(1000, this.config.PING_INTERVAL_MS || 1000),
    );
    this.liveness.unref();
  }

  /** SIGTERM: stop accepting, close every stream with system-shutdown (or see-other-host: SHUTDOWN_REDIRECT), leave the edges bucket. */
  async stop(): Promise<void> {
    this.server?.close();
    this.tlsServer?.close();
    this.wsServer?.close();
    clearInterval(this.liveness);
    this.tls?.close();
    this.stopHeartbeat?.();
    const bye = shutdownError(this.config.SHUTDOWN_REDIRECT);
    for (const c of this.connections.values()) c.kick(bye.condition, bye.text);
    // Stream-managed sessions were detached, their state saved: they can be resumed on another edge.
    await this.services().sm?.stop();
    await new Promise((r) => setTimeout(r, 200));
    await this.edges?.delete(this.config.EDGE_ID).catch(() => undefined);
  }
}

function listenOn(server: Server | TlsServer | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve) =>
    server.listen(port, host, () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    }),
  );
}
