// What server modules use, backed by the real services: JetStream KV buckets
// (opened on first use) and the auth service for "does this account exist".
// Every key part goes through encodeKey, which hashes what would be too long
// for a NATS subject (issue 9 #6).
import { call } from '@cx/grpc';
import { casUpdate, encodeKey, type Bus, type KV } from '@cx/bus';
import { DEFAULT_MODULE_LIMITS, PRIVATE_BUCKET, VCARD_BUCKET, type ContactAddresses, type DocStore, type ModuleDeps, type ModuleLimits } from '@cx/modules';
import { countStoreRejection } from './metrics';
import type { authv1 } from '@cx/proto';

const bytesCodec = { decode: (b: Uint8Array) => b, encode: (b: Uint8Array) => b };

function kvStore(open: Promise<KV>): DocStore {
  const key = (parts: readonly string[]) => parts.map(encodeKey).join('.');
  return {
    async get(parts) {
      const e = await (await open).get(key(parts));
      return e && e.operation === 'PUT' && e.value.length ? e.value : null;
    },
    async put(parts, value) {
      await (await open).put(key(parts), value);
    },
    async delete(parts) {
      await (await open).delete(key(parts));
    },
    async update(parts, decide) {
      const decision = (cur: Uint8Array | null) => {
        const d = decide(cur);
        return { next: d.next && d.next.length === 0 ? null : d.next, result: d.result };
      };
      return casUpdate(await open, key(parts), bytesCodec, decision);
    },
    async removeAll(parts) {
      const kv = await open;
      const keys: string[] = [];
      for await (const k of await kv.keys(`${key(parts)}.>`)) keys.push(k);
      await Promise.all([key(parts), ...keys].map((k) => kv.purge(k)));
    },
  };
}

/** `limits`: the storage bounds; `contacts`: the XEP-0157 addresses (settings CONTACT_*). */
export function moduleDeps(
  bus: Bus,
  auth: authv1.AuthServiceClient,
  domain: string,
  opts: { limits?: Partial<ModuleLimits>; contacts?: ContactAddresses; mucDomain?: string; uploadDomain?: string; proxyDomain?: string } = {},
): ModuleDeps {
  const { limits, contacts, mucDomain, uploadDomain, proxyDomain } = opts;
  const stores = new Map<string, DocStore>();
  const l = { ...DEFAULT_MODULE_LIMITS, ...limits };
  // The KV value bound of each bucket follows the module's bound (room for framing and headers).
  const valueBound: Record<string, number> = { [PRIVATE_BUCKET]: l.privateMaxBytes + 4096, [VCARD_BUCKET]: l.vcardMaxBytes + 4096 };
  return {
    startedAt: Date.now(),
    limits,
    contacts,
    mucDomain,
    uploadDomain,
    proxyDomain,
    rejected: countStoreRejection,
    store(bucket) {
      let s = stores.get(bucket);
      if (!s) stores.set(bucket, (s = kvStore(bus.bucket(bucket, valueBound[bucket] ? { maxValueSize: valueBound[bucket] } : {}))));
      return s;
    },
    async userExists(username) {
      return (await call(auth.userExists.bind(auth), { domain, username }, 5000, auth)).exists;
    },
  };
}
