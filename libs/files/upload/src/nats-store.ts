// The default FileStore: a JetStream object store (bucket xmpp_upload),
// replicated as NATS_REPLICAS says. Objects are chunked by nats.js (128 KiB
// messages), so a file streams through in chunks both ways.
import { Readable, Transform } from 'node:stream';
import { Objm, setSha256Backend, StorageType, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ByteRange, FileStore, StoredFile, StoredObject } from './file-store';

export const UPLOAD_BUCKET = 'xmpp_upload';

/** Counts what passes and fails the stream when it is not exactly `size` bytes. */
export function exactly(size: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > size) return done(new Error(`body longer than ${size} bytes`));
      done(null, chunk);
    },
    flush(done) {
      done(seen === size ? null : new Error(`body of ${seen} bytes, ${size} announced`));
    },
  });
}

/** Passes only bytes first..last (inclusive) of what flows through. */
export function byteSlice(r: ByteRange): Transform {
  let at = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const from = Math.max(0, r.first - at);
      const to = Math.min(chunk.length, r.last + 1 - at);
      at += chunk.length;
      done(null, to > from ? chunk.subarray(from, to) : undefined);
    },
  });
}

export class NatsFileStore implements FileStore {
  readonly name = 'nats';

  private constructor(private readonly os: ObjectStore) {}

  /** Open (creating if needed) the bucket; `maxBytes` bounds it (-1: no bound). */
  static async open(nc: NatsConnection, opts: { replicas: number; maxBytes?: number; bucket?: string }): Promise<NatsFileStore> {
    // Every object's SHA-256 with node:crypto, not nats.js's pure-JS default (which cost most of the PUT's CPU in tools/bench).
    setSha256Backend('native');
    const os = await new Objm(nc).create(opts.bucket ?? UPLOAD_BUCKET, {
      storage: StorageType.File,
      replicas: opts.replicas,
      max_bytes: opts.maxBytes ?? -1,
    });
    return new NatsFileStore(os);
  }

  async put(id: string, body: Readable, size: number): Promise<void> {
    const counted = body.pipe(exactly(size));
    body.once('error', (err) => counted.destroy(err));
    try {
      await this.os.put({ name: id }, Readable.toWeb(counted) as ReadableStream<Uint8Array>);
    } catch (err) {
      await this.os.delete(id).catch(() => undefined);
      throw err;
    }
  }

  /** A range is read from the start of the object (its chunks come in order) and cut here. */
  async get(id: string, range?: ByteRange): Promise<StoredFile | null> {
    const r = await this.os.get(id);
    if (!r) return null;
    const body = Readable.fromWeb(r.data as never);
    if (!range) return { body, size: r.info.size };
    const sliced = body.pipe(byteSlice(range));
    body.once('error', (err) => sliced.destroy(err));
    return { body: sliced, size: r.info.size };
  }

  async delete(id: string): Promise<void> {
    await this.os.delete(id).catch((err: Error) => {
      if (!/not found/i.test(err.message)) throw err;
    });
  }

  async *list(): AsyncIterable<StoredObject> {
    for (const info of await this.os.list()) {
      if (!info.deleted) yield { id: info.name, size: info.size, storedAt: Date.parse(info.mtime) };
    }
  }
}
