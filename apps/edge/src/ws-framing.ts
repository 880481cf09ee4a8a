// RFC 7395 framing, translated at the edge's border: each WebSocket message is
// one whole element; <open/> and <close/> stand for the stream header and its
// end. Incoming frames become the stream text the c2s parser already reads,
// and what the c2s machine writes becomes one frame per element, so the
// WebSocket transport shares the TCP state machine and features unchanged.
import { parseElement } from '@cx/xml-stream';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const STREAMS = 'http://etherx.jabber.org/streams';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;');
}

/** One incoming frame as stream text; null when the frame is not one element. */
export function frameToStream(frame: string): string | null {
  const t = frame.trim();
  if (t.startsWith('<open')) {
    const el = parseElement(t);
    if ('error' in el || el.name !== 'open' || el.attrs.xmlns !== FRAMING) return null;
    const a = el.attrs;
    const attrs = [`xmlns='jabber:client'`, `xmlns:stream='${STREAMS}'`];
    for (const k of ['to', 'from', 'version', 'xml:lang']) if (a[k] !== undefined) attrs.push(`${k}='${esc(a[k])}'`);
    return `<stream:stream ${attrs.join(' ')}>`;
  }
  if (/^<close[\s/>]/.test(t)) return '</stream:stream>';
  return t;
}

const HEADER = "<?xml version='1.0'?><stream:stream ";

/** What the c2s machine wrote, as WebSocket frames. */
export function streamToFrames(chunk: string): string[] {
  if (chunk.startsWith(HEADER)) {
    const end = chunk.indexOf('>', HEADER.length);
    const head = chunk.slice(0, end);
    const attr = (name: string) => new RegExp(`\\s${name}='([^']*)'`).exec(head)?.[1];
    const open = `<open xmlns='${FRAMING}' from='${attr('from') ?? ''}' id='${attr('id') ?? ''}' version='1.0' xml:lang='${attr('xml:lang') ?? 'en'}'/>`;
    const rest = chunk.slice(end + 1);
    return rest ? [open, ...streamToFrames(rest)] : [open];
  }
  if (chunk === '</stream:stream>') return [`<close xmlns='${FRAMING}'/>`];
  if (chunk.startsWith('<stream:')) return [chunk.replace(/^<(stream:\w+)/, `<$1 xmlns:stream='${STREAMS}'`)];
  return [withClientNamespace(chunk)];
}

/** §3.3.3: stanzas carry xmlns='jabber:client' themselves in a frame. */
function withClientNamespace(el: string): string {
  const m = /^<(message|presence|iq)([\s/>])/.exec(el);
  if (!m) return el;
  const tagEnd = el.indexOf('>');
  if (/\sxmlns=/.test(el.slice(0, tagEnd))) return el;
  return `<${m[1]} xmlns="jabber:client"${el.slice(m[1].length + 1)}`;
}
