// RFC 7622 §3.1: bare and full JIDs, comparison and the string form.
import { describe, it, expect } from 'vitest';
import { InvalidJidError, Jid, jid, parseJid } from './index';
import { PREPARED } from './jid';

describe('Jid', () => {
  it('exposes prepared parts with empty strings for absent ones', () => {
    const j = parseJid('Juliet@Example.COM/Balcony');
    expect(j.local).toBe('juliet');
    expect(j.domain).toBe('example.com');
    expect(j.resource).toBe('Balcony'); // OpaqueString: no case mapping
    const d = parseJid('example.com');
    expect([d.local, d.resource]).toEqual(['', '']);
  });

  it('bare drops the resource, is cached, and is itself for bare JIDs', () => {
    const full = parseJid('juliet@example.com/balcony');
    expect(full.isBare()).toBe(false);
    expect(full.bare.toString()).toBe('juliet@example.com');
    expect(full.bare.isBare()).toBe(true);
    expect(full.bare).toBe(full.bare);
    const bare = parseJid('juliet@example.com');
    expect(bare.bare).toBe(bare);
    expect(parseJid('example.com/x').bare.toString()).toBe('example.com');
  });

  it('round-trips through toString and compares by prepared parts', () => {
    for (const s of ['juliet@example.com', 'juliet@example.com/foo bar', 'example.com', 'example.com/r', 'π@example.com/♚']) {
      const j = parseJid(s);
      expect(j.toString()).toBe(s);
      expect(String(j)).toBe(s);
      expect(JSON.stringify({ j })).toBe(JSON.stringify({ j: s }));
      expect(parseJid(j.toString()).equals(j)).toBe(true);
    }
    expect(parseJid('JULIET@EXAMPLE.COM./Foo').equals(parseJid('juliet@example.com/Foo'))).toBe(true);
    expect(parseJid('juliet@example.com/Foo').equals(parseJid('juliet@example.com/foo'))).toBe(false);
    expect(parseJid('juliet@example.com').equals(parseJid('juliet@example.com/foo'))).toBe(false);
    expect(parseJid('juliet@example.com').equals(parseJid('romeo@example.com'))).toBe(false);
    expect(parseJid('juliet@example.com').equals(parseJid('juliet@example.net'))).toBe(false);
  });

  it('cannot be constructed without going through preparation', () => {
    const Ctor = Jid as unknown as new (...args: unknown[]) => Jid;
    expect(() => new Ctor(Symbol('x'), 'a', 'b', '')).toThrow(TypeError);
    expect(new Jid(PREPARED, 'a', 'b', '').toString()).toBe('a@b');
  });
});

describe('jid(local, domain, resource?)', () => {
  it('prepares every part', () => {
    const j = jid('ＪＵＬＩＥＴ', 'EXAMPLE.com.', 'Balcony\u00a0Scene');
    expect(j.toString()).toBe('juliet@example.com/Balcony Scene');
    expect(j.equals(parseJid('juliet@example.com/Balcony Scene'))).toBe(true);
  });

  it('treats empty local and resource as absent', () => {
    expect(jid('', 'example.com').toString()).toBe('example.com');
    expect(jid('', 'example.com', '').toString()).toBe('example.com');
    expect(jid('a', 'example.com', 'x/y@z').resource).toBe('x/y@z');
  });

  it('throws InvalidJidError naming the bad part', () => {
    const parts: Array<[() => unknown, string]> = [
      [() => jid('a@b', 'example.com'), 'local'],
      [() => jid('a', ''), 'domain'],
      [() => jid('a', 'exa mple.com'), 'domain'],
      [() => jid('a', 'example.com', ' x'), 'resource'],
      [() => jid('a', 'example.com', 'x\u0000'), 'resource'],
    ];
    for (const [fn, part] of parts) {
      expect(fn).toThrow(InvalidJidError);
      try {
        fn();
      } catch (e) {
        expect((e as InvalidJidError).part).toBe(part);
        expect(e).toBeInstanceOf(Error);
      }
    }
  });
});
