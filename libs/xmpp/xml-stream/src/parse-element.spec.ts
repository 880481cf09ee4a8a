// Tests of the single-element parser used for RFC 7395 WebSocket framing.
import { Element } from 'ltx';
import { describe, expect, it } from 'vitest';
import { isParseError, parseElement } from './parse-element';
import type { ParseElementError, StreamErrorCondition } from './types';

function expectError(xml: string, condition: StreamErrorCondition, opts?: { maxBytes?: number }): void {
  const r = parseElement(xml, opts);
  expect(r).not.toBeInstanceOf(Element);
  expect((r as ParseElementError).error, (r as ParseElementError).text).toBe(condition);
}

describe('parseElement', () => {
  it('parses an element with attributes, text and children', () => {
    const r = parseElement(
      `<message xmlns='jabber:client' to="romeo@example.net" id='a&amp;b'><body>Hi &lt;3 \u{1F600}</body><x:y xmlns:x='urn:x'/></message>`,
    );
    if (isParseError(r)) throw new Error(r.text);
    expect(r.name).toBe('message');
    expect(r.attrs).toEqual({ xmlns: 'jabber:client', to: 'romeo@example.net', id: 'a&b' });
    expect(r.getChildText('body')).toBe('Hi <3 \u{1F600}');
    expect(r.getChild('y', 'urn:x')).toBeDefined();
    expect(r.parent).toBeNull();
  });

  it('keeps attributes named like Object.prototype members as own data', () => {
    const r = parseElement(`<a __proto__='x' constructor='y' hasOwnProperty='z'/>`) as Element;
    expect(Object.getPrototypeOf(r.attrs)).toBe(Object.prototype);
    expect(Object.keys(r.attrs)).toEqual(['__proto__', 'constructor', 'hasOwnProperty']);
    expect(r.toString()).toBe('<a __proto__="x" constructor="y" hasOwnProperty="z"/>');
    expect((parseElement(`<a constructor='1' constructor='2'/>`) as ParseElementError).error).toBe('not-well-formed');
  });

  it('merges adjacent text and CDATA into one text child', () => {
    const r = parseElement('<b>a<![CDATA[<]]>c&amp;<![CDATA[]]></b>') as Element;
    expect(r.children).toEqual(['a<c&']);
  });

  it('parses an RFC 7395 open element surrounded by white space', () => {
    const r = parseElement(`\n <open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="1.0"/> \n`);
    expect(isParseError(r)).toBe(false);
    expect((r as Element).toString()).toBe('<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="1.0"/>');
  });

  it('accepts prefixed elements declared on themselves', () => {
    const r = parseElement(
      `<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>`,
    );
    expect((r as Element).getNS()).toBe('http://etherx.jabber.org/streams');
  });

  it('accepts an element exactly at maxBytes', () => {
    const xml = `<a>${'\u00e9'.repeat(50)}</a>`; // 107 bytes
    expect(isParseError(parseElement(xml, { maxBytes: 107 }))).toBe(false);
    expectError(xml, 'policy-violation', { maxBytes: 106 });
  });

  it('reports the size limit in the error text', () => {
    expect(parseElement(`<a>${'x'.repeat(100)}</a>`, { maxBytes: 50 })).toEqual({
      error: 'policy-violation',
      text: 'stanza exceeds the maximum size of 50 bytes',
      limit: 'stanza-size',
    });
  });

  it.each([
    ['an empty string', ''],
    ['only white space', '  '],
    ['an unclosed element', '<a><b></b>'],
    ['an unfinished tag', "<a x='1"],
    ['two elements', '<a/><b/>'],
    ['text after the element', '<a/>x'],
    ['text before the element', 'x<a/>'],
    ['a mismatched end tag', '<a></b>'],
    ['an undeclared prefix', '<stream:features/>'],
    ['an unknown entity', '<a>&nbsp;</a>'],
    ['an unquoted attribute', '<a x=1/>'],
    ['garbage', '<<<<'],
    ['an illegal char', '<a>\u0000</a>'],
    ['an unpaired surrogate', '<a>\uD800</a>'],
  ])('reports not-well-formed for %s', (_title, xml) => expectError(xml, 'not-well-formed'));

  it.each([
    ['a comment', '<a><!--x--></a>'],
    ['a processing instruction', '<a><?pi x?></a>'],
    ['an XML declaration', "<?xml version='1.0'?><a/>"],
    ['a DOCTYPE', '<!DOCTYPE a><a/>'],
  ])('reports restricted-xml for %s', (_title, xml) => expectError(xml, 'restricted-xml'));

  it('reports policy-violation for deep nesting', () => {
    expect(isParseError(parseElement('<a>'.repeat(256) + '</a>'.repeat(256)))).toBe(false);
    expectError('<a>'.repeat(257) + '</a>'.repeat(257), 'policy-violation');
    expect(isParseError(parseElement('<a>'.repeat(5) + '</a>'.repeat(5), { maxDepth: 5 }))).toBe(false);
    expect((parseElement('<a>'.repeat(6) + '</a>'.repeat(6), { maxDepth: 5 }) as ParseElementError).error).toBe('policy-violation');
  });
});
