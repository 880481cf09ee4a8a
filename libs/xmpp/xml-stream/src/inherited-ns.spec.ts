// A stanza that uses a prefix declared on the stream header goes out declaring it
// itself (issue 9 #11; Namespaces in XML 1.0 §5): recipients and the server's own
// re-parsing (offline, carbons, bounces, stream management) get well-formed XML.
import { describe, expect, it } from 'vitest';
import type { Element } from 'ltx';
import { XmlStreamParser } from './stream-parser';
import { isParseError, parseElement } from './parse-element';
import { STREAMS_NS } from './types';

const HEADER = `<stream:stream xmlns='jabber:client' xmlns:stream='${STREAMS_NS}' xmlns:foo='urn:example:foo' xmlns:bar='urn:example:bar' to='example.com' version='1.0'>`;

function stanzas(xml: string): Element[] {
  const out: Element[] = [];
  const errors: string[] = [];
  const p = new XmlStreamParser({
    onStreamStart: () => undefined,
    onStanza: (el) => out.push(el),
    onStreamEnd: () => undefined,
    onError: (c, t) => errors.push(`${c}: ${t}`),
  });
  p.write(HEADER + xml);
  expect(errors).toEqual([]);
  return out;
}

/** Serializes and re-parses the element alone, as the offline store and carbons do. */
function standalone(el: Element): Element {
  const again = parseElement(el.toString());
  if (isParseError(again)) throw new Error(`${again.error}: ${again.text} in ${el.toString()}`);
  return again;
}

describe('prefixes declared on the stream header', () => {
  it('are declared on the stanza that uses them, which re-parses alone to the same namespaces', () => {
    const [msg] = stanzas("<message to='juliet@example.com'><body>hi</body><foo:x foo:a='1'><foo:y/></foo:x></message>");
    const again = standalone(msg as Element);
    expect(again.attrs['xmlns:foo']).toBe('urn:example:foo');
    expect(again.attrs['xmlns:bar']).toBeUndefined(); // declared on the header but not used
    const x = again.getChild('x', 'urn:example:foo');
    expect(x?.getNS()).toBe('urn:example:foo');
    expect(x?.getChildren('y')[0]?.getNS()).toBe('urn:example:foo');
  });

  it('also when only an attribute or the stanza element itself uses the prefix', () => {
    const [a, b] = stanzas("<message bar:hint='1' to='r@example.com'/><foo:ping/>");
    expect(standalone(a as Element).attrs['xmlns:bar']).toBe('urn:example:bar');
    expect(standalone(b as Element).getNS()).toBe('urn:example:foo');
  });

  it('keeps a redeclaration inside the stanza and declares the header binding for the other uses', () => {
    const [msg] = stanzas("<message><foo:a xmlns:foo='urn:other'/><foo:b/></message>");
    const again = standalone(msg as Element);
    expect(again.attrs['xmlns:foo']).toBe('urn:example:foo');
    expect(again.getChild('a', 'urn:other')).toBeDefined();
    expect(again.getChild('b', 'urn:example:foo')).toBeDefined();
  });

  it('adds nothing to a stanza that uses none of them, nor to the next stanza', () => {
    const [first, second] = stanzas('<message><foo:x/></message><message><body>plain</body></message>');
    expect(first?.attrs['xmlns:foo']).toBe('urn:example:foo');
    expect(second?.toString()).toBe('<message><body>plain</body></message>');
  });

  it('declares a prefix the stanza declares itself only once', () => {
    const [msg] = stanzas("<message xmlns:foo='urn:mine'><foo:x/></message>");
    expect(msg?.toString()).toBe('<message xmlns:foo="urn:mine"><foo:x/></message>');
  });
});
