// The external component listener (XEP-0114, COMPONENT_PORT): accepts
// components that know their domain's secret (COMPONENTS), registers each
// established one in the KV bucket xmpp_components so routers on any
// replica send its stanzas here, and routes what it sends like a client's
// stanzas, marked as a component's. A component connecting again (here or
// on another edge) takes over: the connection it replaces is closed with
// conflict, through that edge's channel.
import { createServer, type Server, type Socket } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import { kickOnEdge, type NatsConnection } from '@cx/bus';
import type { ComponentContext } from '@cx/component';
import type { ComponentRegistry } from '@cx/component-registry';
import type { Logger } from '@cx/log';
import type { routerv1 } from '@cx/proto';
import { routedStanza } from '@cx/stanza';
import type { StreamParserOptions } from '@cx/xml-stream';
import type { Element, StreamErrorCondition } from '@cx/xmpp-core';
import { ComponentConnection } from './component-connection';

const connected = new Gauge({ name: 'xmpp_edge_components', help: 'External components (XEP-0114) connected to this edge' });
const handshakes = new Counter({ name: 'xmpp_edge_component_handshakes_total', help: 'Component handshakes by result', labelNames: ['result'] });

export interface ComponentServerOptions {
  edgeId: string;
  host: string;
  port: number;
  /** component domain → secret. */
  secrets: ReadonlyMap<string, string>;
  registry: ComponentRegistry;
  nc: NatsConnection;
  /** Route a stanza (RouterLink.send): the slot keeps one component's stanzas in order. */
  route(slot: number, stanza: routerv1.Stanza): void;
  preauthLimits: StreamParserOptions;
  limits: StreamParserOptions;
  /** AUTH_TIMEOUT_MS: no handshake by then closes the stream (0: never). */
  handshakeTimeoutMs?: number;
  /** MAX_SEND_BUFFER_BYTES. */
  maxSendBuffer?: number;
  log: Logger;
}

export class ComponentServer {
  /** By connection id: deliveries and kicks from the edge's channel. */
  readonly connections = new Map<string, ComponentConnection>();
  private readonly byDomain = new Map<string, ComponentConnection>();
  private readonly slots = new Map<string, number>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly ctx: ComponentContext;
  private readonly boot = randomBytes(3).toString('base64url');
  private seq = 0;
  private server?: Server;

  constructor(private readonly o: ComponentServerOptions) {
    this.ctx = { secrets: o.secrets, newStreamId: randomUUID };
  }

  /** Entries an earlier run of this edge left are cleared first; resolves with the port. */
  async listen(): Promise<number> {
    await this.o.registry.clearEdge(this.o.edgeId, this.o.secrets.keys());
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    server.on('error', (err) => this.o.log.error({ err }, 'component listener error'));
    return new Promise((resolve) =>
      server.listen(this.o.port, this.o.host, () => {
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : this.o.port);
      }),
    );
  }

  private accept(socket: Socket): void {
    const seq = ++this.seq;
    const id = `c${this.boot}${seq.toString(36)}`;
    const conn = new ComponentConnection({
      id,
      socket,
      ctx: this.ctx,
      log: this.o.log,
      preauthLimits: this.o.preauthLimits,
      limits: this.o.limits,
      handshakeTimeoutMs: this.o.handshakeTimeoutMs,
      maxSendBuffer: this.o.maxSendBuffer,
      established: (c, domain) => this.established(c, domain),
      route: (c, el) => this.route(c, el),
      refused: (condition, domain) => {
        handshakes.inc({ result: condition });
        this.o.log.warn({ conn: id, condition, domain, remote: socket.remoteAddress }, 'component refused');
      },
      ended: (c) => this.ended(c),
    });
    this.connections.set(id, conn);
    this.slots.set(id, seq);
  }

  private established(conn: ComponentConnection, domain: string): void {
    handshakes.inc({ result: 'ok' });
    connected.inc();
    const before = this.byDomain.get(domain);
    this.byDomain.set(domain, conn);
    if (before && before !== conn) before.kick('conflict', 'the component connected again');
    this.o.log.info({ conn: conn.id, domain }, 'component connected');
    this.track(
      this.o.registry.register(domain, this.o.edgeId, conn.id).then((prev) => {
        if (!prev || prev.connectionId === before?.id) return;
        if (prev.edgeId === this.o.edgeId) this.connections.get(prev.connectionId)?.kick('conflict', 'the component connected again');
        else kickOnEdge(this.o.nc, prev.edgeId, { connectionId: prev.connectionId, condition: 'conflict', text: 'the component connected again' });
      }),
      domain,
    );
  }

  private route(conn: ComponentConnection, el: Element): void {
    const stanza = routedStanza(el, { from: el.attrs.from, connectionId: conn.id, component: true });
    this.o.route(this.slots.get(conn.id) ?? 0, stanza);
  }

  private ended(conn: ComponentConnection): void {
    this.connections.delete(conn.id);
    this.slots.delete(conn.id);
    const domain = conn.domain;
    if (!domain || !conn.wasEstablished) return;
    connected.dec();
    if (this.byDomain.get(domain) === conn) this.byDomain.delete(domain);
    this.o.log.info({ conn: conn.id, domain }, 'component disconnected');
    this.track(this.o.registry.unregister(domain, this.o.edgeId, conn.id), domain);
  }

  private track(p: Promise<unknown>, domain: string): void {
    const t = p.catch((err: Error) => this.o.log.warn({ err: err.message, domain }, 'component registry update failed')).finally(() => this.pending.delete(t));
    this.pending.add(t);
  }

  /** SIGTERM: stop accepting, close every component's stream (system-shutdown), and mark them not connected. */
  async stop(condition: StreamErrorCondition = 'system-shutdown', text?: string): Promise<void> {
    this.server?.close();
    for (const c of [...this.connections.values()]) c.kick(condition, text);
    const until = Date.now() + 2000;
    while (this.pending.size && Date.now() < until) await Promise.race([...this.pending, new Promise((r) => setTimeout(r, 50))]);
  }
}
