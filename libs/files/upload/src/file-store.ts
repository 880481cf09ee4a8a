// Where uploaded files live: NATS JetStream's object store by default
// (replicated like the rest of the server's state, no volume per pod), or an
// S3-compatible bucket for large installations. Both stream: a file is never
// held whole in memory.
import type { Readable } from 'node:stream';

export interface StoredFile {
  /** The file's bytes (or the range asked), to pipe to the response. */
  body: Readable;
  /** The size of the whole file. */
  size: number;
}

/** Bytes first..last of a file, inclusive (HTTP's Range, RFC 9110 §14.1.2). */
export interface ByteRange {
  first: number;
  last: number;
}

export interface StoredObject {
  id: string;
  size: number;
  /** When it was stored (ms since the epoch). */
  storedAt: number;
}

export interface FileStore {
  readonly name: string;
  /** Store `size` bytes from `body` under `id`; rejects when the body ends short or runs long. */
  put(id: string, body: Readable, size: number): Promise<void>;
  /** The file, or the bytes `range` names (first and last, inclusive; within the file). */
  get(id: string, range?: ByteRange): Promise<StoredFile | null>;
  delete(id: string): Promise<void>;
  /** Every stored object (for retention and to reclaim what no index entry names). */
  list(): AsyncIterable<StoredObject>;
  close?(): Promise<void>;
}
