// Where each external component (XEP-0114) is connected: the KV bucket
// xmpp_components, component domain → ComponentRoute. The edge that
// completes a handshake writes it (the newest registration wins: the edge
// that held the domain before is told to close its connection), and marks it
// not connected when that connection closes. Routers keep a watched mirror,
// so routing to a component is a memory lookup on any replica.
import { buckets, casUpdate, decodeKey, encodeKey, type Bus, type KV } from '@cx/bus';
import type { Logger } from '@cx/log';
import { edgev1 } from '@cx/proto';

export type ComponentRoute = edgev1.ComponentRoute;

const codec = { decode: (b: Uint8Array) => edgev1.ComponentRoute.decode(b), encode: (v: ComponentRoute) => edgev1.ComponentRoute.encode(v).finish() };

export const COMPONENTS_BUCKET = buckets.components;

export class ComponentRegistry {
  private readonly mirror = new Map<string, ComponentRoute>();

  private constructor(private readonly kv: KV) {}

  static async open(bus: Bus): Promise<ComponentRegistry> {
    return new ComponentRegistry(await bus.bucket(COMPONENTS_BUCKET, { maxValueSize: 1024 }));
  }

  /** Routers: follow every change (the mirror is what `route` and `domains` read). Returns how to stop. */
  async watch(log: Logger): Promise<() => void> {
    const w = await this.kv.watch({ key: '>' });
    void (async () => {
      for await (const e of w) {
        const domain = decodeKey(e.key);
        if (e.operation === 'PUT' && e.value.length) this.mirror.set(domain, codec.decode(e.value));
        else this.mirror.delete(domain);
      }
    })().catch((err) => log.error({ err }, 'component registry watch ended'));
    return () => w.stop();
  }

  /** Where the component serving `domain` is connected; undefined: not a component; edgeId '': not connected now. */
  route(domain: string): ComponentRoute | undefined {
    return this.mirror.get(domain);
  }

  /** Every component domain the registry knows (connected or not). */
  domains(): string[] {
    return [...this.mirror.keys()].sort();
  }

  /** The handshake succeeded on this connection: it serves `domain` now. Returns the connection it replaces, if one was connected. */
  register(domain: string, edgeId: string, connectionId: string): Promise<ComponentRoute | undefined> {
    const next: ComponentRoute = { edgeId, connectionId, atMs: Date.now() };
    return casUpdate(this.kv, encodeKey(domain), codec, (cur) => ({
      next,
      result: cur && cur.edgeId && !(cur.edgeId === edgeId && cur.connectionId === connectionId) ? cur : undefined,
    }));
  }

  /** The connection closed: the domain is not connected, unless another connection took it over meanwhile. */
  unregister(domain: string, edgeId: string, connectionId: string): Promise<void> {
    return casUpdate(this.kv, encodeKey(domain), codec, (cur) =>
      cur && cur.edgeId === edgeId && cur.connectionId === connectionId
        ? { next: { edgeId: '', connectionId: '', atMs: Date.now() }, result: undefined }
        : { next: undefined, result: undefined },
    );
  }

  /** An edge starting: entries an earlier run of it left (killed before it could clear them) are not connected. */
  async clearEdge(edgeId: string, domains: Iterable<string>): Promise<void> {
    for (const domain of domains) {
      await casUpdate(this.kv, encodeKey(domain), codec, (cur) =>
        cur && cur.edgeId === edgeId ? { next: { edgeId: '', connectionId: '', atMs: Date.now() }, result: undefined } : { next: undefined, result: undefined },
      );
    }
  }
}
