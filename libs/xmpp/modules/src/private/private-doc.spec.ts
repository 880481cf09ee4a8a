// issue 9 #6, #9: private XML storage is one bounded document per user, so no
// namespace becomes part of a NATS subject and one user's storage is bounded.
import { describe, expect, it } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { decodePrivate, encodePrivate, putFragments } from './private-doc';
import { ModuleHost } from '../host';
import { privateStorage } from './private';
import type { DocStore, ModuleDeps } from '../host';

const limits = { maxItems: 3, maxBytes: 2000 };

describe('private storage document', () => {
  it('round-trips fragments, a namespace like __proto__ included', () => {
    const doc = new Map([
      ['urn:a', '<a xmlns="urn:a"/>'],
      ['__proto__', '<b xmlns="__proto__"/>'],
    ]);
    expect([...decodePrivate(encodePrivate(doc))]).toEqual([...doc]);
    expect(decodePrivate(null).size).toBe(0);
  });
  it('stores a 4 KB namespace (it is never part of a key)', () => {
    const ns = `urn:${'n'.repeat(4096)}`;
    const r = putFragments(new Map(), [[ns, `<x xmlns="${ns}"/>`]], { maxItems: 3, maxBytes: 20_000 });
    expect(r.ok).toBe(true);
  });
  it('refuses more namespaces or bytes than the bounds, but lets a document shrink or be replaced', () => {
    let doc = new Map<string, string>();
    for (const ns of ['urn:1', 'urn:2', 'urn:3']) {
      const r = putFragments(doc, [[ns, `<x xmlns="${ns}"/>`]], limits);
      if (!r.ok) throw new Error('refused');
      doc = decodePrivate(r.bytes);
    }
    expect(putFragments(doc, [['urn:4', '<x xmlns="urn:4"/>']], limits)).toEqual({ ok: false, exceeded: 'items' });
    expect(putFragments(doc, [['urn:1', `<x xmlns="urn:1">${'y'.repeat(3000)}</x>`]], limits)).toEqual({ ok: false, exceeded: 'bytes' });
    expect(putFragments(doc, [['urn:1', '<x xmlns="urn:1">replaced</x>']], limits).ok).toBe(true);
    const over = new Map([...doc, ['urn:4', '<x/>'], ['urn:5', '<x/>']]);
    expect(putFragments(over, [['urn:5', '<x xmlns="urn:5"/>']], limits).ok).toBe(true);
  });
});

/** An in-memory DocStore: the module's own logic, not the KV client, is under test here. */
function memoryStore(): DocStore {
  const m = new Map<string, Uint8Array>();
  const k = (parts: readonly string[]) => parts.join('\u0000');
  return {
    get: async (p) => m.get(k(p)) ?? null,
    put: async (p, v) => void m.set(k(p), v),
    delete: async (p) => void m.delete(k(p)),
    removeAll: async (p) => {
      for (const key of [...m.keys()]) if (key === k(p) || key.startsWith(`${k(p)}\u0000`)) m.delete(key);
    },
    update: async (p, decide) => {
      const d = decide(m.get(k(p)) ?? null);
      if (d.next === null) m.delete(k(p));
      else if (d.next !== undefined) m.set(k(p), d.next);
      return d.result;
    },
  };
}

describe('XEP-0049 module bounds', () => {
  const el = (s: string) => parseElement(s) as Element;
  const rejected: string[] = [];
  const store = memoryStore();
  const deps: ModuleDeps = {
    store: () => store,
    userExists: async () => true,
    startedAt: 0,
    limits: { privateMaxItems: 2, privateMaxBytes: 4096 },
    rejected: (s) => void rejected.push(s),
  };
  const host = new ModuleHost('localhost', [privateStorage], deps);
  const set = (inner: string) =>
    host.handleIq(el(`<iq type='set' id='s' from='a@localhost/r'><query xmlns='jabber:iq:private'>${inner}</query></iq>`), 'self', 'a@localhost/r');
  const get = (inner: string) =>
    host.handleIq(el(`<iq type='get' id='g' from='a@localhost/r'><query xmlns='jabber:iq:private'>${inner}</query></iq>`), 'self', 'a@localhost/r');

  it('refuses a set past the bounds with not-acceptable, counts it, and keeps what was stored', async () => {
    expect((await set(`<p xmlns='urn:one'>1</p>`)).attrs.type).toBe('result');
    expect((await set(`<p xmlns='urn:two'>2</p>`)).attrs.type).toBe('result');
    const third = await set(`<p xmlns='urn:three'>3</p>`);
    expect(third.attrs.type).toBe('error');
    expect(third.getChild('error')?.getChild('not-acceptable')).toBeDefined();
    const big = await set(`<p xmlns='urn:one'>${'z'.repeat(5000)}</p>`);
    expect(big.getChild('error')?.getChild('not-acceptable')).toBeDefined();
    expect(rejected).toEqual(['private', 'private']);
    expect((await get(`<p xmlns='urn:one'/>`)).getChild('query')?.getChild('p')?.getText()).toBe('1');
    expect((await get(`<p xmlns='urn:three'/>`)).getChild('query')?.getChild('p')?.children).toEqual([]);
  });
  it('reads a fragment stored one key per namespace by an earlier version', async () => {
    await store.put(['a', 'urn:legacy'], new TextEncoder().encode(`<old xmlns="urn:legacy">kept</old>`));
    expect((await get(`<old xmlns='urn:legacy'/>`)).getChild('query')?.getChild('old')?.getText()).toBe('kept');
  });
});
