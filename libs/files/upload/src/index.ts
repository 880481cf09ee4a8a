// @cx/upload: XEP-0363 HTTP File Upload without per-slot state — signed slot
// URLs, the file index in KV, the FileStore backends (JetStream object store,
// S3) and the headers files are served with. docs/architecture.md, "File upload (HTTP)".
export { checkGrant, signGrant, type GrantCheck, type SlotGrant } from './signature';
export { fileIdOf, makeSlot, normalType, safeFilename, UPLOAD_PATH, type Slot, type SlotRequest } from './slot';
export type { ByteRange, FileStore, StoredFile, StoredObject } from './file-store';
export { byteSlice, exactly, NatsFileStore, UPLOAD_BUCKET } from './nats-store';
export { S3FileStore, type S3Settings } from './s3-store';
export { FileIndex, UPLOAD_INDEX_BUCKET, type FileEntry, type Reservation } from './file-index';
export { CORS_HEADERS, parseRange, servedHeaders } from './served';
export { uploadSharedSettings } from './settings';
export const NS_UPLOAD = 'urn:xmpp:http:upload:0';
