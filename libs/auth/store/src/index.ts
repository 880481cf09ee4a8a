export type { AccountResult, AccountStore } from './store';
export { KvAccountStore } from './kv-store';
export type { KvStoreOptions } from './kv-store';
