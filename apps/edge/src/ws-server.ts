// RFC 7395 XMPP over WebSocket: an HTTP listener whose /xmpp-websocket path
// upgrades to WebSocket with the 'xmpp' subprotocol, plus the XEP-0156
// host-meta documents that let clients discover it. Each WebSocket becomes a
// Wire for the same Connection (and c2s machine) TCP clients get.
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { frameToStream, streamToFrames } from './ws-framing';
import { limitsHit } from './limit-metrics';
import { AddressSet } from './address-set';
import { clientAddress } from './forwarded';

export const WS_PATH = '/xmpp-websocket';
/** Room beyond MAX_STANZA_BYTES for white space around the element in a message. */
export const WS_FRAMING_SLACK = 4096;

/** A WebSocket seen as the byte stream the connection reads and writes. */
export class WsWire extends EventEmitter {
  readonly framed = true;
  destroyed = false;
  writableEnded = false;

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string | undefined,
  ) {
    super();
    ws.on('message', (data, isBinary) => {
      // §3.2: text frames, one element each; anything else is not-well-formed.
      const text = isBinary ? null : frameToStream(data.toString());
      this.emit('data', Buffer.from(text ?? '<<'));
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes with 1009 (RFC 6455 §7.4.1: message too big) before it tells us.
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') limitsHit.inc({ limit: 'websocket-message-size' });
      this.emit('error', err);
    });
    ws.on('close', () => {
      this.destroyed = true;
      this.emit('close');
    });
  }

  write(data: string | Buffer, done?: (err?: Error | null) => void): void {
    const frames = streamToFrames(data.toString());
    frames.forEach((frame, i) => this.ws.send(frame, i === frames.length - 1 ? done : undefined));
    if (frames.length === 0) done?.(null);
  }

  /** Output not yet handed to the kernel (flow control: the unread-output bound). */
  get writableLength(): number {
    return this.ws.bufferedAmount;
  }

  /** The traffic shaper stops reading the socket under the WebSocket, as for TCP. */
  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  end(): void {
    this.writableEnded = true;
    this.ws.close(1000);
  }

  destroy(): void {
    this.destroyed = true;
    this.ws.terminate();
  }
}

function hostMeta(url: string, json: boolean): string {
  if (json) return JSON.stringify({ links: [{ rel: 'urn:xmpp:alt-connections:websocket', href: url }] });
  return `<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n  <Link rel='urn:xmpp:alt-connections:websocket' href='${url}'/>\n</XRD>\n`;
}

export interface WsServerOptions {
  /** Largest message accepted; a larger one closes the WebSocket with 1009 (the ws default is 100 MiB). */
  maxPayload: number;
  /** Proxies whose X-Forwarded-For names the client (forwarded.ts); none by default. */
  trustedProxies?: readonly string[];
}

export function createWsServer(publicUrl: () => string, accept: (wire: WsWire) => void, opts: WsServerOptions): Server {
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/.well-known/host-meta' || path === '/.well-known/host-meta.json') {
      const json = path.endsWith('.json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/xrd+xml', 'access-control-allow-origin': '*' });
      return void res.end(hostMeta(publicUrl(), json));
    }
    res
      .writeHead(path === WS_PATH ? 426 : 404, { 'content-type': 'text/plain' })
      .end(path === WS_PATH ? 'Upgrade to a WebSocket with subprotocol xmpp\n' : 'not found\n');
  });
  const wss = new WebSocketServer({
    server: http,
    path: WS_PATH,
    maxPayload: opts.maxPayload,
    // §3.1: the 'xmpp' subprotocol is required.
    handleProtocols: (protocols) => (protocols.has('xmpp') ? 'xmpp' : false),
  });
  const trusted = new AddressSet(opts.trustedProxies ?? []);
  wss.on('connection', (ws, req) => {
    if (ws.protocol !== 'xmpp') return ws.close(1002, 'subprotocol xmpp required');
    accept(new WsWire(ws, clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trusted)));
  });
  return http;
}
