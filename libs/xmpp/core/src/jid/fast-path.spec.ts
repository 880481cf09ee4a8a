// The ASCII fast paths (RFC 7622 §3.2–§3.4 preparation skipped for inputs
// that cannot change under it) must agree exactly with full preparation.
import { describe, it, expect } from 'vitest';
import { parseJid, parseJidSlow } from './parse';
import { fastPrepareDomain, slowPrepareDomain } from './prepare-domain';
import { fastPrepareLocal, slowPrepareLocal } from './prepare-local';
import { fastPrepareResource, slowPrepareResource } from './prepare-resource';

/** Deterministic PRNG (mulberry32) so failures are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i));
const HOSTY = [...'abcxyzABCXYZ0189.-', 'xn--', '--', '.', '.', '0x'];
const UNICODE = [
  '\u00e9',
  'e\u0301',
  '\u00df',
  '\u03a3',
  '\u03c2',
  '\uff2a',
  '\u3000',
  '\u00a0',
  '\u05d0',
  '\u0661',
  '\u200d',
  '\u00b7',
  '\u2163',
  '\u265a',
  '\t',
  '\u00ad',
  '\u3002',
  '\ud83d\ude00',
  '\u0130',
  'K\u0301',
];

function randomString(next: () => number, alphabets: string[][], maxLen: number): string {
  const len = Math.floor(next() * (maxLen + 1));
  let s = '';
  for (let i = 0; i < len; i++) {
    const alphabet = alphabets[Math.floor(next() * alphabets.length)]!;
    s += alphabet[Math.floor(next() * alphabet.length)]!;
  }
  return s;
}

function outcome(fn: () => string): string {
  try {
    return `ok:${fn()}`;
  } catch (e) {
    return `error:${(e as { part?: string }).part ?? String(e)}`;
  }
}

describe('fast paths agree with full preparation', () => {
  const next = rng(7622);

  it.each([
    ['local', fastPrepareLocal, slowPrepareLocal, [ASCII, HOSTY]],
    ['domain', fastPrepareDomain, slowPrepareDomain, [HOSTY, HOSTY, ASCII]],
    ['resource', fastPrepareResource, slowPrepareResource, [ASCII]],
  ] as const)('%s part over random ASCII strings', (_name, fast, slow, alphabets) => {
    let hits = 0;
    for (let i = 0; i < 20000; i++) {
      const s = randomString(next, alphabets as unknown as string[][], 12);
      const f = fast(s);
      if (f === null) continue;
      hits++;
      expect(f, JSON.stringify(s)).toBe(slow(s));
    }
    expect(hits).toBeGreaterThan(500); // the fast path is actually exercised
  });

  it('parseJid equals parseJidSlow over random JID-like strings', () => {
    let valid = 0;
    for (let i = 0; i < 20000; i++) {
      const s = randomString(next, [HOSTY, HOSTY, ASCII, ['@', '/'], UNICODE], 16);
      const fast = outcome(() => parseJid(s).toString());
      expect(fast, JSON.stringify(s)).toBe(outcome(() => parseJidSlow(s).toString()));
      if (fast.startsWith('ok:')) {
        valid++;
        expect(outcome(() => parseJid(fast.slice(3)).toString())).toBe(fast); // idempotent
      }
    }
    expect(valid).toBeGreaterThan(1000);
  });

  it('agrees on common real-world shapes', () => {
    const samples = [
      'Romeo@Montague.LIT/Orchard',
      'romeo@montague.lit/orchard',
      'chat.shakespeare.lit',
      'coven@chat.shakespeare.lit/thirdwitch',
      'user.name+tag@sub-domain.example.org./Phone 7',
      'a@b',
      'x@127.0.0.1/r',
      'x@[::1]/r',
      'x@example.com/ trailing',
      'x@ab--cd.com',
      'x@1.2.3',
      'x@xn--fuball-cta.example',
      `${'a'.repeat(1023)}@example.com/${'r'.repeat(1023)}`,
      `${'a'.repeat(1024)}@example.com`,
      `x@example.com/${'r'.repeat(1024)}`,
      `x@${'A'.repeat(63)}.com`,
      `x@${'a'.repeat(64)}.com`,
      `x@${Array(16).fill('b'.repeat(63)).join('.')}.`,
      `x@${Array(16).fill('b'.repeat(63)).join('.')}.c`,
      'x@0x1F.example',
      'x@example.0X1f',
      'x@a.-b.c',
      'x@a.b-.c',
      'x@10.0.0.1.',
      'x@10.0.0.01',
      'x@999.0.0.1',
      'x@EXAMPLE..com',
      'x@.',
      'x@-',
      'x@a--b.com',
      'x@XN--FUBALL-CTA.com',
    ];
    for (const s of samples) {
      expect(
        outcome(() => parseJid(s).toString()),
        s,
      ).toBe(outcome(() => parseJidSlow(s).toString()));
    }
  });
});
