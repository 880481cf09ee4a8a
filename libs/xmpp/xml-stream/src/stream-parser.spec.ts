// Framing tests for the XMPP stream parser (RFC 6120 §4.2-§4.4, §11).
import { Buffer } from 'node:buffer';
import type { Element } from 'ltx';
import { describe, expect, it } from 'vitest';
import { HEADER, NS_DECLS, bytes, parseChunks, prng, record, splitAt, type Event } from './spec-helpers';
import { XmlStreamParser } from './stream-parser';
import { STREAMS_NS } from './types';

const MESSAGE =
  `<message from="juliet@example.com/balcony" to='romeo@example.net' type = "chat" id='a&amp;b&#x27;c' xml:lang='en'>` +
  `<body>Wherefore art thou, Romeo? caf\u00e9 \u20ac \u{1F600} &lt;3 &#169;&#x1F600;</body>` +
  `<thread>e0ffe42b28561960c6b12b944a092794b9683a38</thread>` +
  `<x:data xmlns:x='urn:example:x' x:attr='1'><![CDATA[<raw> & ]] stuff]]><x:item/></x:data>` +
  `<active xmlns='http://jabber.org/protocol/chatstates'/>` +
  `</message>`;
const DOC = `${HEADER}\n${MESSAGE}  \n<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq></stream:stream>`;
const DOC_BYTES = bytes(DOC);

const EXPECTED_MESSAGE =
  '<message from="juliet@example.com/balcony" to="romeo@example.net" type="chat" id="a&amp;b&apos;c" xml:lang="en">' +
  '<body>Wherefore art thou, Romeo? caf\u00e9 \u20ac \u{1F600} &lt;3 \u00a9\u{1F600}</body>' +
  '<thread>e0ffe42b28561960c6b12b944a092794b9683a38</thread>' +
  '<x:data xmlns:x="urn:example:x" x:attr="1">&lt;raw&gt; &amp; ]] stuff<x:item/></x:data>' +
  '<active xmlns="http://jabber.org/protocol/chatstates"/>' +
  '</message>';

const EXPECTED: Event[] = [
  ['start', 'stream:stream', { xmlns: 'jabber:client', 'xmlns:stream': STREAMS_NS, to: 'example.com', version: '1.0' }],
  ['stanza', EXPECTED_MESSAGE],
  ['stanza', '<iq type="get" id="p1"><ping xmlns="urn:xmpp:ping"/></iq>'],
  ['end'],
];

describe('XmlStreamParser framing', () => {
  it('parses a whole document in one chunk', () => {
    expect(parseChunks([DOC_BYTES])).toEqual(EXPECTED);
  });

  it('gives the same events for every split point (two chunks)', () => {
    for (let i = 0; i <= DOC_BYTES.length; i++) {
      expect(parseChunks(splitAt(DOC_BYTES, [i])), `split at byte ${i}`).toEqual(EXPECTED);
    }
  });

  it('gives the same events when fed byte by byte', () => {
    const cuts = Array.from({ length: DOC_BYTES.length - 1 }, (_, i) => i + 1);
    expect(parseChunks(splitAt(DOC_BYTES, cuts))).toEqual(EXPECTED);
  });

  it('gives the same events for random three-way and many-way chunkings', () => {
    const rand = prng(42);
    for (let n = 0; n < 300; n++) {
      const count = 2 + Math.floor(rand() * 12);
      const cuts = Array.from({ length: count }, () => Math.floor(rand() * DOC_BYTES.length)).sort((a, b) => a - b);
      expect(parseChunks(splitAt(DOC_BYTES, cuts)), `cuts ${cuts.join(',')}`).toEqual(EXPECTED);
    }
  });

  it('emits several stanzas from one chunk', () => {
    const stanzas = Array.from({ length: 5 }, (_, i) => `<presence id='p${i}'/>`).join(' ');
    const events = parseChunks([HEADER + stanzas + '<message><body>x</body></message>']);
    expect(events.map((e) => e[0])).toEqual(['start', 'stanza', 'stanza', 'stanza', 'stanza', 'stanza', 'stanza']);
    expect(events[6]).toEqual(['stanza', '<message><body>x</body></message>']);
  });

  it('keeps multi-byte characters intact when split at every byte', () => {
    for (const ch of ['\u00e9', '\u20ac', '\u{1F600}']) {
      const doc = bytes(`${HEADER}<message><body>a${ch}b</body></message>`);
      const at = doc.indexOf(bytes(ch));
      for (let k = 1; k < bytes(ch).length; k++) {
        const events = parseChunks(splitAt(doc, [at + k]));
        expect(events[1], `${ch} split after byte ${k}`).toEqual(['stanza', `<message><body>a${ch}b</body></message>`]);
      }
      const oneByOne = parseChunks(
        splitAt(
          doc,
          [at + 1, at + 2, at + 3].filter((c) => c < at + bytes(ch).length),
        ),
      );
      expect(oneByOne).toHaveLength(2);
    }
  });

  it('accepts a literally encoded U+FFFD split anywhere', () => {
    const doc = bytes(`${HEADER}<message><body>\uFFFD</body></message>`);
    const at = doc.indexOf(Buffer.from([0xef, 0xbf, 0xbd]));
    for (const cuts of [[at + 1], [at + 2], [at + 1, at + 2]]) {
      expect(parseChunks(splitAt(doc, cuts))[1]).toEqual(['stanza', '<message><body>\uFFFD</body></message>']);
    }
  });

  it('handles header, features, a stanza and the close', () => {
    const got: Array<Element | string> = [];
    const parser = new XmlStreamParser({
      onStreamStart: (name) => got.push(name),
      onStanza: (el) => got.push(el),
      onStreamEnd: () => got.push('end'),
      onError: (c) => got.push(c),
    });
    const feats = `<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>`;
    parser.write(HEADER + feats + "<message to='a@b'/></stream:stream>");
    // The stream prefix, declared on the header, is declared on the element itself (standalone XML).
    const standalone = feats.replace('<stream:features>', `<stream:features xmlns:stream='${STREAMS_NS}'>`);
    expect(got.map(String)).toEqual(['stream:stream', standalone.replace(/'/g, '"'), '<message to="a@b"/>', 'end']);
    const features = got[1] as Element;
    expect(features.getNS()).toBe(STREAMS_NS); // the stanza's parent is the stream root
    expect(features.getChild('starttls')?.getNS()).toBe('urn:ietf:params:xml:ns:xmpp-tls');
    expect((got[2] as Element).getNS()).toBe('jabber:client');
  });

  it('keeps xmlns attributes as written and adds none', () => {
    const got: Element[] = [];
    const p = new XmlStreamParser({ onStreamStart: () => undefined, onStanza: (el) => got.push(el), onStreamEnd: () => undefined, onError: () => undefined });
    p.write(`${HEADER}<iq id='1'><query xmlns='jabber:iq:roster'/></iq>`);
    expect(got[0]?.attrs).toEqual({ id: '1' });
    expect((got[0]?.children[0] as Element).attrs).toEqual({ xmlns: 'jabber:iq:roster' });
  });

  it('accepts an XML declaration and a UTF-8 byte order mark before the header', () => {
    const decl = `<?xml version='1.0' encoding='UTF-8'?>`;
    const doc = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes(`${decl}\n${HEADER}<presence/>`)]);
    for (let i = 0; i <= 60; i++) {
      const events = parseChunks(splitAt(doc, [i]));
      expect(
        events.map((e) => e[0]),
        `split at ${i}`,
      ).toEqual(['start', 'stanza']);
    }
  });

  it('unescapes text and attributes and normalizes line ends', () => {
    const events = parseChunks([`${HEADER}<m a='x&#10;y\r\nz&#13;'>1\r\n2\r3&#13;<b>&quot;&apos;&gt;</b></m>`]);
    expect(events[1]).toEqual(['stanza', '<m a="x\ny z\r">1\n2\n3\r<b>"\'&gt;</b></m>']);
  });

  it('ignores whitespace keepalives between stanzas', () => {
    const events = parseChunks([HEADER, ' ', '\n', '\r\n\t ', '<presence/>', '   ']);
    expect(events.map((e) => e[0])).toEqual(['start', 'stanza']);
  });

  it('restarts the stream after reset() with a new header', () => {
    const { parser, events } = record();
    parser.write(`${HEADER}<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGZvbwBiYXI=</auth>`);
    parser.reset();
    parser.write(`<?xml version='1.0'?>${HEADER}<iq type='set' id='b1'/>`);
    expect(events.map((e) => e[0])).toEqual(['start', 'stanza', 'start', 'stanza']);
    expect(events[3]).toEqual(['stanza', '<iq type="set" id="b1"/>']);
  });

  it('discards data pipelined in the same chunk when reset() is called from a handler', () => {
    const events: string[] = [];
    const parser: XmlStreamParser = new XmlStreamParser({
      onStreamStart: () => events.push('start'),
      onStanza: (el) => {
        events.push(el.name);
        if (el.name === 'proceed') parser.reset();
      },
      onStreamEnd: () => events.push('end'),
      onError: (c) => events.push(c),
    });
    parser.write(bytes(`${HEADER}<proceed/><iq type='set' id='injected'/>\u00e9`).subarray(0, -1));
    parser.write(bytes(`${HEADER}<iq id='real'/>`));
    expect(events).toEqual(['start', 'proceed', 'start', 'iq']);
  });

  it('treats a self-closing stream header as start and end', () => {
    expect(parseChunks([`<stream:stream ${NS_DECLS}/>`]).map((e) => e[0])).toEqual(['start', 'end']);
  });

  it('ignores input after the stream end', () => {
    expect(parseChunks([`${HEADER}</stream:stream>`, '<<garbage', '<iq/>'])).toEqual([EXPECTED[0], ['end']]);
  });

  it('accepts a stream prefix other than "stream" and prefixes declared on the root', () => {
    const events = parseChunks([
      `<s:stream xmlns:s='${STREAMS_NS}' xmlns:db='jabber:server:dialback' xmlns='jabber:server'>`,
      `<db:result from='a' to='b'>key</db:result><s:features/></s:stream>`,
    ]);
    expect(events.map((e) => e[0])).toEqual(['start', 'stanza', 'stanza', 'end']);
  });

  it('accepts a stanza exactly at the size limit', () => {
    const stanza = `<message><body>${'\u20ac'.repeat(100)}</body></message>`;
    const size = Buffer.byteLength(stanza);
    const events = parseChunks([HEADER, stanza], { maxStanzaBytes: size });
    expect(events[1]).toEqual(['stanza', stanza]);
  });

  it('does not report an error at end() between stanzas', () => {
    const { parser, events } = record();
    parser.write(`${HEADER}<presence/>`);
    parser.end();
    parser.write('<iq/>');
    expect(events.map((e) => e[0])).toEqual(['start', 'stanza']);
  });
});
