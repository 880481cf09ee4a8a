// Error reporting of the XMPP stream parser (RFC 6120 §4.9.3, §11.1, §11.6, §13.12).
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { HEADER, NS_DECLS, bytes, firstError, parseChunks, record, type Event } from './spec-helpers';
import { STREAMS_NS, type StreamErrorCondition } from './types';

function errorOf(chunks: Array<Buffer | string>, maxStanzaBytes?: number): Event | undefined {
  return firstError(parseChunks(chunks, { maxStanzaBytes }));
}

function expectError(chunks: Array<Buffer | string>, condition: StreamErrorCondition, text?: RegExp): void {
  const events = parseChunks(chunks);
  const errors = events.filter((e) => e[0] === 'error');
  expect(errors, JSON.stringify(events)).toHaveLength(1);
  expect(errors[0]?.[1]).toBe(condition);
  if (text) expect(errors[0]?.[2]).toMatch(text);
  expect(events[events.length - 1]?.[0]).toBe('error'); // nothing after the error
}

describe('XmlStreamParser errors: well-formedness', () => {
  const cases: Array<[string, string, RegExp?]> = [
    ['mismatched end tag', '<message><body>hi</message>', /does not match <body>/],
    ['end tag of another element', '<message><body>hi</body></iq>', /<\/iq>/],
    ['unquoted attribute', '<message to=romeo>', /not quoted/],
    ['attribute without value', '<message to>', /has no value/],
    ['attributes not separated', "<message a='1'b='2'/>", /unexpected 'b'/],
    ['duplicate attribute', "<message to='a' to='b'/>", /duplicate attribute 'to'/],
    ["'<' in an attribute value", "<message to='a<b'/>", /'<'/],
    ['unknown entity', '<message><body>&foo;</body></message>', /&foo;/],
    ['unterminated entity', '<message><body>a &amp b</body></message>', /unterminated/],
    ['char ref to an illegal char', '<message><body>&#0;</body></message>', /&#0;/],
    ['char ref to a control char', "<message id='&#x1;'/>", /&#x1;/],
    ['illegal control char in text', '<message><body>a\u0001b</body></message>', /U\+0001/],
    ['illegal control char in an attribute', "<message id='\u0008'/>", /U\+0008/],
    ['illegal control char in a tag', '<message\u0001/>', /unexpected/],
    ['U+FFFF in text', '<message><body>\uFFFF</body></message>', /U\+FFFF/],
    ["']]>' in text", '<message><body>a]]>b</body></message>', /\]\]>/],
    ['garbage <<<<', '<<<<', /after '<'/],
    ['space after <', '< message/>', /after '<'/],
    ['invalid element name', '<1message/>', /after '<'/],
    ['element name with two colons', `<a:b:c xmlns:a='x'/>`, /invalid element name/],
    ['invalid attribute name', "<message -x='1'/>", /invalid attribute name/],
    ['text between stanzas', 'hello<presence/>', /between stanzas/],
    ['end tag without open element', '</presence>', /does not match <stream:stream>/],
    ['slash not followed by >', '<presence/ >', /expected '>'/],
    ['undeclared element prefix', '<foo:bar/>', /undeclared namespace prefix 'foo'/],
    ['undeclared attribute prefix', "<message foo:x='1'/>", /undeclared namespace prefix 'foo'/],
    ['prefix used outside its scope', "<m><a:x xmlns:a='urn:a'/><a:y/></m>", /undeclared namespace prefix 'a'/],
    ['empty prefixed namespace declaration', "<m xmlns:a=''/>", /empty namespace/],
    ['CDATA between stanzas', '<![CDATA[x]]>', /only allowed inside a stanza/],
    ['invalid <! markup', '<message><!x></message>', /invalid markup/],
  ];
  for (const [title, input, text] of cases) {
    it(`reports not-well-formed for ${title}`, () => expectError([HEADER, input], 'not-well-formed', text));
  }

  it('reports not-well-formed for text before the header', () => {
    expectError([`hello ${HEADER}`], 'not-well-formed', /outside the root element/);
  });

  it('reports a mismatched end tag arriving in a later chunk', () => {
    expectError([HEADER, '<message><body>hi</body>', '</iq>'], 'not-well-formed', /<\/iq> does not match <message>/);
  });

  it('reports not-well-formed when end() is called inside a stanza', () => {
    const { parser, events } = record();
    parser.write(`${HEADER}<message><body>unfinished`);
    parser.end();
    expect(firstError(events)).toEqual(['error', 'not-well-formed', 'the input ended inside an element']);
  });
});

describe('XmlStreamParser errors: restricted XML (RFC 6120 §11.1)', () => {
  const cases: Array<[string, string[]]> = [
    ['a comment before the header', ['<!-- hi -->', HEADER]],
    ['a comment split over chunks', [HEADER, '<message><', '!', '-', '-x--></message>']],
    ['a comment inside a stanza', [HEADER, '<message><!-- hi --></message>']],
    ['a processing instruction after the header', [HEADER, '<?foo bar?>']],
    ['a processing instruction inside a stanza', [HEADER, '<message><?foo?></message>']],
    ['an XML declaration after the header', [HEADER, "<?xml version='1.0'?>"]],
    ['a second XML declaration', ["<?xml version='1.0'?><?xml version='1.0'?>", HEADER]],
    ['a processing instruction before the header', ['<?foo?>', HEADER]],
    ['a DOCTYPE', ['<!DOCTYPE stream [<!ENTITY x "y">]>', HEADER]],
    ['a DOCTYPE split over chunks', ['<!DOC', 'TYPE x>']],
    ['an entity declaration', [HEADER, '<!ENTITY x "y">']],
  ];
  for (const [title, chunks] of cases) {
    it(`reports restricted-xml for ${title}`, () => expectError(chunks, 'restricted-xml'));
  }
});

describe('XmlStreamParser errors: stream header', () => {
  it.each([
    ['a wrong stream namespace', "<stream:stream xmlns:stream='jabber:client'>"],
    ['an undeclared stream prefix', "<stream:stream xmlns='jabber:client'>"],
    ['an unprefixed stream element', `<stream xmlns='${STREAMS_NS}'>`],
    ['another element name', `<stream:foo xmlns:stream='${STREAMS_NS}'>`],
  ])('reports invalid-namespace for %s', (_title, header) => {
    expectError([header], 'invalid-namespace', /stream/);
  });

  it.each([
    ["encoding='ISO-8859-1'", "<?xml version='1.0' encoding='ISO-8859-1'?>"],
    ['encoding="UTF-16"', '<?xml version="1.0" encoding="UTF-16"?>'],
  ])('reports unsupported-encoding for an XML declaration with %s', (_title, decl) => {
    expectError([decl + HEADER], 'unsupported-encoding', /only UTF-8/);
  });

  it('reports unsupported-encoding for UTF-16 input', () => {
    expectError([Buffer.from('\uFEFF<stream:stream>', 'utf16le')], 'unsupported-encoding', /UTF-16/);
  });

  it('reports not-well-formed for a malformed XML declaration', () => {
    expectError(["<?xml encoding='UTF-8'?>", HEADER], 'not-well-formed', /XML declaration/);
  });
});

describe('XmlStreamParser errors: invalid UTF-8', () => {
  const header = bytes(HEADER + '<message><body>');
  it.each([
    ['a 0xFF byte', [0xff]],
    ['an overlong encoding', [0xc0, 0x80]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a lead byte followed by ASCII', [0xe2, 0x41]],
    ['a stray continuation byte', [0x80]],
  ])('reports not-well-formed for %s', (_title, bad) => {
    expectError([header, Buffer.from(bad), bytes('</body></message>')], 'not-well-formed', /UTF-8/);
  });

  it('reports invalid bytes split across chunks', () => {
    expectError([header, Buffer.from([0xe2, 0x82]), bytes('x</body></message>')], 'not-well-formed', /UTF-8/);
  });

  it('reports a truncated character at end()', () => {
    const { parser, events } = record();
    parser.write(bytes(HEADER));
    parser.write(Buffer.from([0xe2, 0x82]));
    parser.end();
    expect(firstError(events)?.[1]).toBe('not-well-formed');
  });
});

describe('XmlStreamParser errors: size limit (RFC 6120 §13.12)', () => {
  const limit = 1000;
  const policy = ['error', 'policy-violation', `stanza exceeds the maximum size of ${limit} bytes`];

  it('reports a long text as soon as the limit is crossed, before the stanza ends', () => {
    const { parser, events } = record({ maxStanzaBytes: limit });
    parser.write(`${HEADER}<message><body>`);
    for (let i = 0; i < 9; i++) parser.write('x'.repeat(100));
    expect(events).toHaveLength(1);
    parser.write('x'.repeat(100));
    expect(events[1]).toEqual(policy);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const stanza = `<message><body>${'\u20ac'.repeat(400)}</body></message>`; // 1233 bytes, 433 chars
    expect(errorOf([HEADER, bytes(stanza)], limit)).toEqual(policy);
    expect(errorOf([HEADER, stanza], limit)).toEqual(policy);
    const fits = `<message><body>${'\u20ac'.repeat(320)}</body></message>`;
    expect(parseChunks([HEADER, bytes(fits)], { maxStanzaBytes: limit })[1]?.[0]).toBe('stanza');
  });

  it('rejects a stanza one byte over the limit', () => {
    const stanza = `<message><body>${'\u20ac'.repeat(100)}</body></message>`;
    const size = Buffer.byteLength(stanza);
    expect(errorOf([HEADER, stanza], size - 1)?.[1]).toBe('policy-violation');
    expect(errorOf([HEADER + stanza], size - 1)?.[1]).toBe('policy-violation');
  });

  it.each([
    ['a never-ending attribute value', "<message to='", 'a'],
    ['a never-ending start tag', "<message a='1'", ' '],
    ['a never-ending element name', '<message', 'e'],
    ['a never-ending CDATA section', '<message><![CDATA[', ']'],
    ['a never-ending end tag', '<message></message', 'e'],
  ])('reports %s fed in small chunks', (_title, start, filler) => {
    const { parser, events } = record({ maxStanzaBytes: limit });
    parser.write(HEADER + start);
    let writes = 0;
    while (events.length < 2 && writes < 2000) {
      parser.write(filler.repeat(5));
      writes++;
    }
    expect(events[1]).toEqual(policy);
    expect(writes * 5 * filler.length).toBeLessThanOrEqual(limit + 5 * filler.length);
  });

  it('limits the stream header too', () => {
    expect(errorOf([`<stream:stream ${NS_DECLS} to='${'x'.repeat(2000)}'>`], limit)).toEqual(policy);
  });

  it('reports nesting deeper than maxDepth as policy-violation', () => {
    const events = parseChunks([HEADER, '<a>'.repeat(10)], { maxDepth: 9 });
    expect(firstError(events)?.[1]).toBe('policy-violation');
    expect(firstError(parseChunks([HEADER, '<a>'.repeat(9)], { maxDepth: 9 }))).toBeUndefined();
  });
});

describe('XmlStreamParser after an error', () => {
  it('ignores all further input', () => {
    const { parser, events } = record();
    parser.write(`${HEADER}<message><!-- x -->`);
    expect(events).toHaveLength(2);
    parser.write('</message><presence/></stream:stream>');
    parser.write(Buffer.from([0xff]));
    parser.reset();
    parser.write(`${HEADER}<presence/>`);
    parser.end();
    expect(events).toHaveLength(2);
    expect(events[1]?.[1]).toBe('restricted-xml');
  });

  it('stops in the middle of a chunk', () => {
    const events = parseChunks([`${HEADER}<a/><b></c><d/></stream:stream>`]);
    expect(events.map((e) => e[0])).toEqual(['start', 'stanza', 'error']);
  });
});
