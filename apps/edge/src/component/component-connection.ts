// One external component's connection (XEP-0114): the only place the
// component machine (@cx/component) meets I/O. It feeds parser events into
// the machine and carries out the actions it returns; what the component
// may do once established (route, be registered) is the server's.
import type { Socket } from 'node:net';
import {
  componentTransition,
  initialComponentState,
  type ComponentAction,
  type ComponentContext,
  type ComponentEvent,
  type ComponentState,
} from '@cx/component';
import type { Logger } from '@cx/log';
import { XmlStreamParser, type StreamParserOptions } from '@cx/xml-stream';
import type { Element, StreamErrorCondition } from '@cx/xmpp-core';

export interface ComponentConnectionOptions {
  id: string;
  socket: Socket;
  ctx: ComponentContext;
  log: Logger;
  /** Before the handshake: small stanzas only. */
  preauthLimits: StreamParserOptions;
  /** Once established. */
  limits: StreamParserOptions;
  /** Not established by then: closed with connection-timeout (0: never). */
  handshakeTimeoutMs?: number;
  /** Output the component may leave unread; beyond it the stream is closed with resource-constraint (0: no bound). */
  maxSendBuffer?: number;
  established(conn: ComponentConnection, domain: string): void;
  route(conn: ComponentConnection, el: Element): void;
  refused(condition: StreamErrorCondition, domain?: string): void;
  ended(conn: ComponentConnection): void;
}

export class ComponentConnection {
  readonly id: string;
  private state: ComponentState;
  private readonly parser: XmlStreamParser;
  private readonly debug: boolean;
  private done = false;
  /** The handshake succeeded at some point (it stays true once the stream closed). */
  wasEstablished = false;

  constructor(private readonly o: ComponentConnectionOptions) {
    this.id = o.id;
    this.debug = o.log.isLevelEnabled('debug');
    this.state = initialComponentState(o.ctx);
    this.parser = new XmlStreamParser(
      {
        onStreamStart: (name, attrs) => this.dispatch({ type: 'stream-open', name, attrs }),
        onStanza: (el) => this.dispatch({ type: 'element', el }),
        onStreamEnd: () => this.dispatch({ type: 'stream-close' }),
        onError: (condition, text) => this.dispatch({ type: 'parse-error', condition: condition as StreamErrorCondition, text }),
      },
      o.preauthLimits,
    );
    o.socket.setNoDelay(true);
    // A component is idle for long stretches: the kernel finds a peer that vanished.
    o.socket.setKeepAlive(true, 60_000);
    if (o.handshakeTimeoutMs) {
      setTimeout(() => {
        if (this.state.name === 'wait_for_stream' || this.state.name === 'wait_for_handshake') this.kick('connection-timeout', 'no handshake in time');
      }, o.handshakeTimeoutMs).unref();
    }
    o.socket.on('data', (chunk: Buffer) => {
      // Never the handshake at debug: it is derived from the secret.
      if (this.debug && this.established) this.o.log.debug({ conn: this.id, xml: chunk.toString('utf8') }, 'component recv');
      this.parser.write(chunk);
    });
    o.socket.on('error', (err) => o.log.debug({ conn: this.id, err: err.message }, 'component socket error'));
    o.socket.on('close', () => this.dispatch({ type: 'socket-closed' }));
  }

  get domain(): string | undefined {
    return this.state.domain;
  }

  get established(): boolean {
    return this.state.name === 'established';
  }

  dispatch(ev: ComponentEvent): void {
    const t = componentTransition(this.state, ev, this.o.ctx);
    const was = this.state.name;
    this.state = t.state;
    if (was !== 'established' && t.state.name === 'established') {
      this.wasEstablished = true;
      this.parser.setLimits(this.o.limits);
    }
    for (const a of t.actions) this.run(a);
  }

  /** A stanza routed to the component, serialized. */
  deliver(xml: Uint8Array): void {
    if (!this.established) return;
    this.write(Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength));
  }

  kick(condition: StreamErrorCondition, text?: string): void {
    this.dispatch({ type: 'kick', condition, text });
  }

  private run(a: ComponentAction): void {
    switch (a.type) {
      case 'send':
        return this.write(a.el.toString());
      case 'close':
        return this.close();
      case 'established':
        return this.o.established(this, a.domain);
      case 'route':
        return this.o.route(this, a.el);
      case 'refused':
        return this.o.refused(a.condition, a.domain);
      case 'ended':
        return this.end();
    }
  }

  private write(data: string | Buffer): void {
    const s = this.o.socket;
    if (s.writableEnded || s.destroyed) return;
    if (this.debug && this.established) this.o.log.debug({ conn: this.id, xml: data.toString() }, 'component send');
    s.write(data);
    const max = this.o.maxSendBuffer ?? 0;
    if (max > 0 && s.writableLength > max && this.established) this.kick('resource-constraint', 'too much output left unread');
  }

  private close(): void {
    const s = this.o.socket;
    if (s.writableEnded) return;
    s.end('</stream:stream>');
    setTimeout(() => s.destroy(), 2000).unref();
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    this.parser.end();
    if (!this.o.socket.writableEnded) this.close();
    this.o.ended(this);
  }
}
