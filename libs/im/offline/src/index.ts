// Public API of @cx/offline: offline message storage (XEP-0160, RFC 6121
// §8.5.2.2) on a JetStream stream.
export { OFFLINE_BYTES_BUCKET } from './usage';
export { OfflineStore } from './offline-store';
export type { OfflineOptions, StoredMessage, StoreResult } from './offline-store';
export { storable } from './storable';
export { OFFLINE_STREAM, offlineSubject } from './stream';
