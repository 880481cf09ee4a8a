// The upload service's admin calls (HTTP on UPLOAD_ADMIN_PORT, apps/upload/src/admin.ts).
export interface UploadedFile {
  id: string;
  name: string;
  size: number;
  type: string;
  at: number;
}

export interface UploadAdmin {
  files(jid: string): Promise<UploadedFile[]>;
  deleteAll(jid: string): Promise<number>;
}

export function uploadAdmin(baseUrl: string, token: string): UploadAdmin {
  const base = baseUrl.replace(/\/+$/, '');
  const ask = async (method: string, path: string) => {
    const res = await fetch(`${base}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
    const body = (await res.json().catch(() => ({}))) as { error?: string; files?: UploadedFile[]; deleted?: number };
    if (!res.ok) throw new Error(`upload service: ${res.status} ${body.error ?? ''}`.trim());
    return body;
  };
  return {
    files: async (jid) => (await ask('GET', `/files?jid=${encodeURIComponent(jid)}`)).files ?? [],
    deleteAll: async (jid) => (await ask('DELETE', `/files?jid=${encodeURIComponent(jid)}`)).deleted ?? 0,
  };
}
