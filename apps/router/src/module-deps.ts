// What server modules use, backed by the real services: JetStream KV buckets
// (opened on first use) and the auth service for "does this account exist".
import { call } from '@cx/grpc';
import { encodeKey, type Bus, type KV } from '@cx/bus';
import type { DocStore, ModuleDeps } from '@cx/modules';
import type { authv1 } from '@cx/proto';

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
    async removeAll(parts) {
      const kv = await open;
      const keys: string[] = [];
      for await (const k of await kv.keys(`${key(parts)}.>`)) keys.push(k);
      await Promise.all([key(parts), ...keys].map((k) => kv.purge(k)));
    },
  };
}

export function moduleDeps(bus: Bus, auth: authv1.AuthServiceClient, domain: string): ModuleDeps {
  const stores = new Map<string, DocStore>();
  return {
    startedAt: Date.now(),
    store(bucket) {
      let s = stores.get(bucket);
      if (!s) stores.set(bucket, (s = kvStore(bus.bucket(bucket))));
      return s;
    },
    async userExists(username) {
      return (await call(auth.userExists.bind(auth), { domain, username }, 5000)).exists;
    },
  };
}
