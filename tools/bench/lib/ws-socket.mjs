// XMPP over WebSocket (RFC 7395) for the load generator: a WebSocket seen as
// the byte stream Conn reads and writes, so login and the scenarios run
// unchanged. Incoming frames become stream text (<open/> the stream header,
// <close/> its end); outgoing stream headers and ends become <open/> and
// <close/> frames, anything else one frame per write.
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';

function toStream(frame) {
  if (frame.startsWith('<open')) return `<stream:stream${frame.slice(5).replace(/\s*\/>\s*$/, '>')}`;
  if (/^<close[\s/>]/.test(frame)) return '</stream:stream>';
  return frame;
}

function toFrame(s) {
  if (s.startsWith('<?xml') || s.startsWith('<stream:stream')) {
    const to = /\sto='([^']*)'/.exec(s)?.[1] ?? 'localhost';
    return `<open xmlns='${FRAMING}' to='${to}' version='1.0'/>`;
  }
  if (s === '</stream:stream>') return `<close xmlns='${FRAMING}'/>`;
  return s;
}

export class WsSocket extends EventEmitter {
  constructor(ws) {
    super();
    this.ws = ws;
    this.destroyed = false;
    ws.on('message', (d) => this.emit('data', toStream(d.toString())));
    ws.on('error', (err) => this.emit('error', err));
    ws.on('close', () => {
      this.destroyed = true;
      this.emit('close');
    });
  }

  static open(port, host) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${host}:${port}/xmpp-websocket`, 'xmpp');
      ws.once('error', reject);
      ws.once('open', () => {
        ws.off('error', reject);
        resolve(new WsSocket(ws));
      });
    });
  }

  setNoDelay() {}

  setEncoding() {}

  write(s) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(toFrame(s));
  }

  /** Send <close/>; the server answers with its own and closes the WebSocket (§3.6). */
  end(s) {
    if (s) this.write(s);
  }

  destroy() {
    this.destroyed = true;
    this.ws.terminate();
  }
}
