export type { AccountResult, AccountStore, LoginContext } from './store';
export { KvAccountStore } from './kv-store';
export type { KvStoreOptions } from './kv-store';
