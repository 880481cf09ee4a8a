// The S3-compatible FileStore (AWS S3, MinIO, Ceph RGW, Garage…), for
// installations whose files outgrow what NATS should hold. Objects are named
// <prefix><id>; the body streams through (a PUT with its Content-Length).
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ByteRange, FileStore, StoredFile, StoredObject } from './file-store';
import { exactly } from './nats-store';

export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
  accessKey: string;
  secretKey: string;
  /** Path-style URLs (MinIO and most self-hosted stores need them). */
  forcePathStyle?: boolean;
  prefix?: string;
}

export class S3FileStore implements FileStore {
  readonly name = 's3';
  private readonly s3: S3Client;
  private readonly prefix: string;

  constructor(private readonly o: S3Settings) {
    this.s3 = new S3Client({
      endpoint: o.endpoint,
      region: o.region,
      forcePathStyle: o.forcePathStyle ?? true,
      credentials: o.accessKey ? { accessKeyId: o.accessKey, secretAccessKey: o.secretKey } : undefined,
      // No flexible checksums unless an operation needs them: a streamed PUT then goes as a plain body with
      // its Content-Length, not aws-chunked with a trailer, which many S3-compatible stores do not take.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.prefix = o.prefix ?? 'upload/';
  }

  async put(id: string, body: Readable, size: number): Promise<void> {
    const counted = body.pipe(exactly(size));
    body.once('error', (err) => counted.destroy(err));
    // A body that ends short or runs long aborts the request: S3 stores a PUT whole or not at all.
    const abort = new AbortController();
    let failure: Error | undefined;
    counted.once('error', (err) => {
      failure = err;
      abort.abort();
    });
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: this.prefix + id, Body: counted, ContentLength: size }), {
        abortSignal: abort.signal,
      });
    } catch (err) {
      throw failure ?? err;
    }
    if (failure) throw failure;
  }

  async get(id: string, range?: ByteRange): Promise<StoredFile | null> {
    try {
      const Range = range ? `bytes=${range.first}-${range.last}` : undefined;
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: this.prefix + id, Range }));
      const total = r.ContentRange ? Number(r.ContentRange.split('/')[1]) : r.ContentLength;
      return { body: r.Body as Readable, size: total ?? 0 };
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') return null;
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: this.prefix + id }));
  }

  async *list(): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix: this.prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (o.Key) yield { id: o.Key.slice(this.prefix.length), size: o.Size ?? 0, storedAt: o.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async close(): Promise<void> {
    this.s3.destroy();
  }
}
