// The admin listener (UPLOAD_ADMIN_PORT, loopback by default, ADMIN_TOKEN as
// a bearer token when set): what xmppctl's upload-files and
// delete-upload-files call. GET /files?jid=<bare JID> lists an account's
// files as JSON; DELETE /files?jid=… deletes them all, DELETE /files/<id> one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { FileIndex, FileStore } from '@cx/upload';
import { countDeleted } from './metrics';

export interface AdminDeps {
  token: string;
  index: FileIndex;
  store: FileStore;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

function authorized(req: IncomingMessage, token: string): boolean {
  if (!token) return true;
  const got = Buffer.from(req.headers.authorization ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Delete files (entry, then bytes); returns how many. */
export async function deleteFiles(d: Pick<AdminDeps, 'index' | 'store'>, ids: readonly string[]): Promise<number> {
  let n = 0;
  for (const id of ids) {
    if (await d.index.remove(id)) n++;
    await d.store.delete(id);
  }
  return n;
}

export function adminHandler(d: AdminDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (!authorized(req, d.token)) return json(res, 401, { error: 'ADMIN_TOKEN required' });
    const url = new URL(req.url ?? '/', 'http://admin');
    const jid = url.searchParams.get('jid') ?? '';
    const one = /^\/files\/([A-Za-z0-9_-]{24})$/.exec(url.pathname)?.[1];
    const work = async () => {
      if (req.method === 'GET' && url.pathname === '/files' && jid) return json(res, 200, { files: await d.index.files(jid) });
      if (req.method === 'DELETE' && url.pathname === '/files' && jid) {
        const ids = (await d.index.files(jid)).map((f) => f.id);
        const deleted = await deleteFiles(d, ids);
        countDeleted('admin', deleted);
        return json(res, 200, { deleted });
      }
      if (req.method === 'DELETE' && one) {
        const deleted = await deleteFiles(d, [one]);
        countDeleted('admin', deleted);
        return json(res, deleted ? 200 : 404, { deleted });
      }
      json(res, 404, { error: 'GET /files?jid=, DELETE /files?jid=, DELETE /files/<id>' });
    };
    work().catch((err: Error) => json(res, 500, { error: err.message }));
  };
}
