// The c2s listener: accepts TCP connections, keeps the table of this edge's
// connections, and announces the edge's liveness in the "edges" bucket.
import { createServer, type Server } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Gauge } from 'prom-client';
import { createMachine, defaultModules, type C2sContext } from '@cx/c2s';
import { buckets, type Bus, type KV } from '@cx/bus';
import type { Logger } from '@cx/log';
import { eventsv1 } from '@cx/proto';
import { Connection } from './connection';
import type { EdgeConfig } from './config';
import type { EdgeServices } from './services';

const connectionsGauge = new Gauge({ name: 'xmpp_edge_connections', help: 'Open client connections', labelNames: ['transport'] });

export class EdgeServer {
  readonly connections = new Map<string, Connection>();
  private readonly machine = createMachine(defaultModules);
  private server?: Server;
  private edges?: KV;
  private heartbeat?: NodeJS.Timeout;
  private seq = 0;

  constructor(
    private readonly config: EdgeConfig,
    private readonly ctx: C2sContext,
    private readonly services: () => EdgeServices,
    private readonly log: Logger,
  ) {}

  static context(config: EdgeConfig, caps: C2sContext['caps']): C2sContext & { mechanisms: string[]; registrationOpen: boolean } {
    return { domain: config.XMPP_DOMAIN, mechanisms: [], registrationOpen: false, maxAuthFailures: config.MAX_AUTH_FAILURES, caps, newStreamId: randomUUID };
  }

  /** Announce liveness first: the session service ends sessions of edges it does not see. */
  async startHeartbeat(bus: Bus): Promise<void> {
    this.edges = await bus.bucket(buckets.edges, { ttl: this.config.EDGE_TTL_MS });
    const beat = () =>
      this.edges
        ?.put(this.config.EDGE_ID, eventsv1.EdgeHeartbeat.encode({ edgeId: this.config.EDGE_ID, atMs: Date.now(), connections: this.connections.size }).finish())
        .catch((err) => this.log.warn({ err: err.message }, 'heartbeat failed'));
    await beat();
    this.heartbeat = setInterval(beat, this.config.HEARTBEAT_INTERVAL_MS);
  }

  listen(): Promise<number> {
    const server = createServer((socket) => {
      const id = `${(++this.seq).toString(36)}`;
      const conn = new Connection(id, socket, this.machine, this.ctx, this.services(), this.log, this.config.MAX_STANZA_BYTES);
      this.connections.set(id, conn);
      connectionsGauge.inc({ transport: 'tcp' });
    });
    this.server = server;
    server.on('error', (err) => this.log.error({ err }, 'c2s listener error'));
    return new Promise((resolve) =>
      server.listen(this.config.C2S_PORT, this.config.C2S_HOST, () => {
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : this.config.C2S_PORT);
      }),
    );
  }

  forget(conn: Connection): void {
    if (this.connections.delete(conn.id)) connectionsGauge.dec({ transport: 'tcp' });
  }

  /** SIGTERM: stop accepting, close every stream with system-shutdown, leave the edges bucket. */
  async stop(): Promise<void> {
    this.server?.close();
    clearInterval(this.heartbeat);
    for (const c of this.connections.values()) c.kick('system-shutdown', 'the server is restarting');
    await new Promise((r) => setTimeout(r, 200));
    await this.edges?.delete(this.config.EDGE_ID).catch(() => undefined);
  }
}
