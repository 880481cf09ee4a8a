// The edge's stanza limits before and after authentication (issue 9 #8): what an
// unauthenticated stream may make the edge hold is counted in built DOM size, not
// only in bytes, and is far below MAX_STANZA_BYTES.
import { describe, expect, it } from 'vitest';
import { XmlStreamParser, type ParserLimit } from '@cx/xml-stream';
import { edgeConfig } from './config';
import { authenticatedLimits, limitLabel, preauthParserOptions, stanzaPolicy } from './stanza-limits';

const HEADER = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

function parser() {
  const seen: Array<{ stanza?: string; error?: string; limit?: ParserLimit }> = [];
  const policy = stanzaPolicy(edgeConfig.load({}));
  const p = new XmlStreamParser(
    {
      onStreamStart: () => undefined,
      onStanza: (el) => seen.push({ stanza: el.name }),
      onStreamEnd: () => undefined,
      onError: (c, _t, limit) => seen.push({ error: c, limit }),
    },
    preauthParserOptions(policy),
  );
  p.write(HEADER);
  return { p, seen, policy };
}

describe('stanza limits before authentication', () => {
  it('defaults to 16 KiB before authentication and MAX_STANZA_BYTES after', () => {
    const policy = stanzaPolicy(edgeConfig.load({}));
    expect(preauthParserOptions(policy)).toMatchObject({ maxStanzaBytes: 16384, maxDomBytes: 16384, maxAttributes: 64, maxNamespaceDeclarations: 32 });
    expect(authenticatedLimits(policy).maxStanzaBytes).toBe(262144);
    expect(stanzaPolicy(edgeConfig.load({ MAX_STANZA_BYTES: '4096' })).preauthMaxStanzaBytes).toBe(4096);
  });

  it('lets SASL, STARTTLS and in-band registration through', () => {
    const { p, seen } = parser();
    p.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    p.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256-PLUS'>${'eD1ZTmpZT'.repeat(40)}</auth>`);
    const field = (v: string) => `<field var='${v}' type='text-single'><value>${'v'.repeat(40)}</value></field>`;
    p.write(
      `<iq type='set' id='reg1'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>${['FORM_TYPE', 'username', 'password', 'email', 'name'].map(field).join('')}</x></query></iq>`,
    );
    expect(seen).toEqual([{ stanza: 'starttls' }, { stanza: 'auth' }, { stanza: 'iq' }]);
  });

  it('ends an unfinished element of small children by its DOM size, long before its bytes', () => {
    const { p, seen } = parser();
    p.write('<iq><query>');
    for (let i = 0; i < 200; i++) p.write('<a/>'); // 800 bytes, about 32 KB of elements
    expect(seen).toEqual([{ error: 'policy-violation', limit: 'dom-size' }]);
    expect(limitLabel('dom-size', false)).toBe('preauth-xml-dom-size');
  });

  it('ends an unfinished attribute value at the pre-authentication byte limit', () => {
    const { p, seen } = parser();
    p.write("<iq to='");
    for (let i = 0; i < 20; i++) p.write('x'.repeat(1024));
    expect(seen).toEqual([{ error: 'policy-violation', limit: 'stanza-size' }]);
  });

  it('takes the same stanza once the stream is authenticated', () => {
    const { p, seen, policy } = parser();
    p.setLimits(authenticatedLimits(policy));
    p.write(`<iq><query>${'<a/>'.repeat(200)}</query></iq><message><body>${'x'.repeat(100_000)}</body></message>`);
    expect(seen).toEqual([{ stanza: 'iq' }, { stanza: 'message' }]);
  });
});
