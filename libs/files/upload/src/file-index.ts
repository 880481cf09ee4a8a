// What the server knows of uploaded files, in the KV bucket xmpp_upload_files
// (the bytes are in a FileStore): per file `file.<id>` (owner, name, size,
// type, when), per owner `user.<jid>.<id>` (to list and remove an account's
// files) and `usage.<jid>` (bytes held, for the quota). The routers read the
// usage to refuse a slot over quota and remove an account's entries; the
// upload service writes the rest. A file is served only while its entry
// exists, so removing entries takes files offline at once; the upload
// service's sweep reclaims the bytes of objects no entry names.
import { casUpdate, encodeKey, type Bus, type KV } from '@cx/bus';

export const UPLOAD_INDEX_BUCKET = 'xmpp_upload_files';

export interface FileEntry {
  id: string;
  /** The uploader's bare JID. */
  jid: string;
  name: string;
  size: number;
  type: string;
  /** When the PUT began (ms since the epoch). */
  at: number;
  /** The bytes are stored (false while the PUT streams). */
  done: boolean;
}

export type Reservation = 'ok' | 'exists' | 'over-quota';

const enc = new TextEncoder();
const dec = new TextDecoder();
const json = { encode: (v: unknown) => enc.encode(JSON.stringify(v)), decode: (b: Uint8Array) => JSON.parse(dec.decode(b)) as unknown };
const numberCodec = { encode: (n: number) => enc.encode(String(n)), decode: (b: Uint8Array) => Number(dec.decode(b)) || 0 };

const fileKey = (id: string) => `file.${id}`;
const userKey = (jid: string, id: string) => `user.${encodeKey(jid)}.${id}`;
const usageKey = (jid: string) => `usage.${encodeKey(jid)}`;

export class FileIndex {
  private constructor(private readonly kv: KV) {}

  static async open(bus: Bus): Promise<FileIndex> {
    return new FileIndex(await bus.bucket(UPLOAD_INDEX_BUCKET, { maxValueSize: 4096 }));
  }

  /** Bytes `jid` holds (files stored and PUTs under way). */
  async usage(jid: string): Promise<number> {
    const e = await this.kv.get(usageKey(jid));
    return e && e.operation === 'PUT' ? numberCodec.decode(e.value) : 0;
  }

  /** Before a PUT streams: claim the id (a second PUT to a path is refused) and its bytes of the quota (0: none). */
  async reserve(f: FileEntry, quota: number): Promise<Reservation> {
    try {
      await this.kv.create(fileKey(f.id), json.encode({ ...f, done: false }));
    } catch {
      return 'exists';
    }
    const ok = await this.addUsage(f.jid, f.size, quota);
    if (!ok) await this.kv.delete(fileKey(f.id));
    return ok ? 'ok' : 'over-quota';
  }

  /** The bytes are stored: the file is served and listed from now on. */
  async complete(f: FileEntry): Promise<void> {
    await this.kv.put(userKey(f.jid, f.id), enc.encode('1'));
    await this.kv.put(fileKey(f.id), json.encode({ ...f, done: true }));
  }

  /** The PUT failed: the path may be tried again and the bytes are given back. */
  async abandon(f: FileEntry): Promise<void> {
    await this.kv.delete(fileKey(f.id));
    await this.addUsage(f.jid, -f.size, 0);
  }

  /** A file whose bytes are stored; null while its PUT streams, or when there is none. */
  async file(id: string): Promise<FileEntry | null> {
    const e = await this.kv.get(fileKey(id));
    if (!e || e.operation !== 'PUT' || !e.value.length) return null;
    const f = json.decode(e.value) as FileEntry;
    return f.done ? f : null;
  }

  /** Is there an entry (stored or streaming) for this id? */
  async known(id: string): Promise<boolean> {
    const e = await this.kv.get(fileKey(id));
    return !!e && e.operation === 'PUT' && e.value.length > 0;
  }

  /** The files of `jid`, oldest first. */
  async files(jid: string): Promise<FileEntry[]> {
    const ids: string[] = [];
    const prefix = `user.${encodeKey(jid)}.`;
    for await (const k of await this.kv.keys(`${prefix}*`)) ids.push(k.slice(prefix.length));
    const files = await Promise.all(ids.map((id) => this.file(id)));
    return files.filter((f): f is FileEntry => f !== null).sort((a, b) => a.at - b.at);
  }

  /** Forget a file (its bytes are the caller's to delete); returns its entry. */
  async remove(id: string): Promise<FileEntry | null> {
    const e = await this.kv.get(fileKey(id));
    if (!e || e.operation !== 'PUT' || !e.value.length) return null;
    const f = json.decode(e.value) as FileEntry;
    await this.kv.purge(fileKey(id));
    await this.kv.purge(userKey(f.jid, id));
    await this.addUsage(f.jid, -f.size, 0);
    return f;
  }

  /** Forget every file of `jid` (account removal, xmppctl); returns their ids. */
  async removeUser(jid: string): Promise<string[]> {
    const files = await this.files(jid);
    for (const f of files) await this.remove(f.id);
    await this.kv.purge(usageKey(jid));
    return files.map((f) => f.id);
  }

  private addUsage(jid: string, delta: number, quota: number): Promise<boolean> {
    return casUpdate(this.kv, usageKey(jid), numberCodec, (cur) => {
      const next = Math.max(0, (cur ?? 0) + delta);
      if (delta > 0 && quota > 0 && next > quota) return { next: undefined, result: false };
      return { next, result: true };
    });
  }
}
