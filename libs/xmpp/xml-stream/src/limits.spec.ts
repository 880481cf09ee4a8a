// Limits on what one element may make the parser hold (issue 9 #7, #8): attributes and
// namespace declarations per element, and the estimated memory of the element being
// built (dom-cost.ts), each ending the stream with policy-violation (RFC 6120 §4.9.3.12).
import { describe, expect, it } from 'vitest';
import { HEADER, bytes, firstError, parseChunks, record } from './spec-helpers';
import { elementCost } from './dom-cost';

describe('attribute and namespace declaration limits', () => {
  const attrs = (n: number, key = 'a') => Array.from({ length: n }, (_, i) => ` ${key}${i}='v'`).join('');

  it('refuses an element with more attributes than configured', () => {
    // (the header has 4)
    expect(parseChunks([HEADER, `<message${attrs(4)}/>`], { maxAttributes: 4 }).at(-1)?.[0]).toBe('stanza');
    const events = parseChunks([HEADER, `<message${attrs(5)}/>`], { maxAttributes: 4 });
    expect(firstError(events)).toEqual(['error', 'policy-violation', 'more than 4 attributes on <message>']);
  });

  it('has default caps of 64 attributes and 32 prefixed declarations per element', () => {
    expect(firstError(parseChunks([HEADER, `<m${attrs(65)}/>`]))?.[1]).toBe('policy-violation');
    expect(firstError(parseChunks([HEADER, `<m${attrs(33, 'xmlns:p')}/>`]))?.[2]).toBe('more than 32 namespace declarations on one element');
    expect(firstError(parseChunks([HEADER, `<m${attrs(32, 'xmlns:p')}/>`]))).toBeUndefined();
  });

  it('applies to the stream header too', () => {
    const header = HEADER.replace('>', `${attrs(3, 'xmlns:p')}>`);
    expect(firstError(parseChunks([header], { maxNamespaceDeclarations: 2 }))?.[1]).toBe('policy-violation');
  });

  it('names the limit crossed for the metrics', () => {
    const limits: Array<string | undefined> = [];
    const { parser } = record({ maxAttributes: 4 });
    const p = parser as unknown as { events: { onError: (c: string, t: string, l?: string) => void } };
    const onError = p.events.onError;
    p.events.onError = (c, t, l) => {
      limits.push(l);
      onError(c, t, l);
    };
    parser.write(HEADER + "<m a='1' b='2' c='3' d='4' e='5'/>");
    expect(limits).toEqual(['attributes']);
  });
});

describe('the memory of the element being built (maxDomBytes)', () => {
  const small = '<a/>'.repeat(40);

  it('ends an unfinished stanza of small children long before its byte size would', () => {
    // 40 empty children are 160 bytes of input but about 6.5 KB of elements.
    const events = parseChunks([HEADER, '<message>', small], { maxStanzaBytes: 16384, maxDomBytes: 4096 });
    expect(firstError(events)).toEqual(['error', 'policy-violation', 'stanza exceeds the maximum size of 4096 bytes in memory']);
    expect(events.some((e) => e[0] === 'stanza')).toBe(false);
  });

  it('counts attributes and text, and starts again at each stanza', () => {
    const fits = `<message>${'<a/>'.repeat(10)}</message>`; // 11 elements: about 1.8 KB
    expect(firstError(parseChunks([HEADER, fits.repeat(20)], { maxDomBytes: 2048 }))).toBeUndefined();
    expect(firstError(parseChunks([HEADER, `<message><body>${'x'.repeat(2000)}</body></message>`], { maxDomBytes: 2048 }))?.[1]).toBe('policy-violation');
    expect(firstError(parseChunks([HEADER, `<message a='${'x'.repeat(2000)}'/>`], { maxDomBytes: 2048 }))?.[1]).toBe('policy-violation');
  });

  it('can be raised (after authentication) and then lets the same stanza through', () => {
    const { parser, events } = record({ maxStanzaBytes: 1024, maxDomBytes: 1024 });
    parser.write(HEADER);
    parser.setLimits({ maxStanzaBytes: 65536, maxDomBytes: 0 });
    parser.write(bytes(`<message>${small}<body>${'x'.repeat(5000)}</body></message>`));
    expect(firstError(events)).toBeUndefined();
    expect(events.filter((e) => e[0] === 'stanza')).toHaveLength(1);
  });

  it('estimates an empty element at about the heap V8 gives an ltx Element', () => {
    expect(elementCost('a')).toBeGreaterThanOrEqual(150);
  });
});
