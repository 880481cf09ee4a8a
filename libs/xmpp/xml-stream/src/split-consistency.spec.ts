// Every chunking of an input must give the same events as the whole input, also on the
// error paths (RFC 6120 §4.9.3 conditions must not depend on TCP segmentation).
import { describe, expect, it } from 'vitest';
import { HEADER, bytes, parseChunks, prng, splitAt } from './spec-helpers';

const INPUTS = [
  '<message><body>hi</message>',
  '<message to=romeo>',
  "<message a='1'b='2'/>",
  "<message to='a' to='b'/>",
  "<message to='a<b'/>",
  '<message><body>&foo;</body></message>',
  '<message><body>a &amp b</body></message>',
  '<message><body>&#x1F600;&#0;</body></message>',
  '<message><body>a]]>b</body></message>',
  '<message><body>a]]b]]]>]]></body></message>',
  '<<<<',
  '< message/>',
  '<foo:bar/>',
  '<m><![CDATA[a]]]]><![CDATA[>]]></m>',
  '<m><!-- c --></m>',
  '<m><!DOCTYPE x></m>',
  '<m><!x></m>',
  '<m><?pi?></m>',
  "<?xml version='1.0'?>",
  '<m>\u0001</m>',
  '<m>caf\u00e9 \u{1F600}</m></m>',
  "<m xmlns:a='urn:a' a:b='1'><a:c/></m></stream:stream>",
  '<m><stream:x/></m><stream:features><stream:y/></stream:features>',
];

describe('chunking independence', () => {
  for (const input of INPUTS) {
    it(`gives the same events for every split of ${JSON.stringify(input)}`, () => {
      const doc = bytes(HEADER + input);
      const whole = parseChunks([doc]);
      for (let i = 0; i <= doc.length; i++) {
        expect(parseChunks(splitAt(doc, [i])), `split at ${i}`).toEqual(whole);
      }
      const rand = prng(input.length);
      for (let n = 0; n < 50; n++) {
        const cuts = Array.from({ length: 6 }, () => Math.floor(rand() * doc.length)).sort((a, b) => a - b);
        expect(parseChunks(splitAt(doc, cuts)), `cuts ${cuts.join(',')}`).toEqual(whole);
      }
    });
  }

  it('gives the same events for every split when the memory or attribute limits are crossed', () => {
    const opts = { maxDomBytes: 2048, maxAttributes: 8, maxNamespaceDeclarations: 2 };
    const inputs = [
      `<m>${'<a/>'.repeat(12)}</m>`,
      `<m><b>${'x'.repeat(1000)}</b><b>${'y'.repeat(1000)}</b></m>`,
      `<m${Array.from({ length: 9 }, (_, i) => ` a${i}='v'`).join('')}/>`,
      "<m xmlns:a='urn:a' xmlns:b='urn:b' xmlns:c='urn:c'/>",
    ];
    for (const input of inputs) {
      const doc = bytes(HEADER + input);
      const whole = parseChunks([doc], opts);
      expect(whole.at(-1)?.[1]).toBe('policy-violation');
      for (let i = 0; i <= doc.length; i++) expect(parseChunks(splitAt(doc, [i]), opts), `split at ${i}`).toEqual(whole);
    }
  });

  it('never throws and reports at most one error on random garbage', () => {
    const rand = prng(7);
    const alphabet = ['<', '>', '/', '!', '?', '-', '[', ']', '&', ';', '#', "'", '"', '=', ' ', 'a', ':', 'x', '\u00e9', 'CDATA[', 'xml ', '</a>', '<a>'];
    for (let n = 0; n < 2000; n++) {
      const len = Math.floor(rand() * 40);
      const junk = Array.from({ length: len }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      const events = parseChunks([HEADER, '<a>', junk, '</a>']);
      expect(events.filter((e) => e[0] === 'error').length).toBeLessThanOrEqual(1);
    }
  });
});
