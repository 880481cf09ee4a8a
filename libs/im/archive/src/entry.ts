// One stored entry of an archive: the messages one append carried (one, or
// the burst that queued for that archive while the previous append was in
// flight), after two lines of metadata.
//   <prev sequence>\n<skip table>\n<count>\n
//   then per message: <id>\n<with>\n<length of the XML in UTF-16 units>\n<XML>
// (JIDs and ids have no line breaks). Metadata in the payload rather than in
// headers: no header block to build per append.
export interface Rec {
  id: string;
  with: string;
  xml: string;
}

export interface ChunkMeta {
  prev: number;
  table: string;
}

const encoder = new TextEncoder();

export function encodeChunk(meta: ChunkMeta, recs: readonly Rec[]): Uint8Array {
  let s = `${meta.prev}\n${meta.table}\n${recs.length}\n`;
  for (const r of recs) s += `${r.id}\n${r.with}\n${r.xml.length}\n${r.xml}`;
  return encoder.encode(s);
}

/** The metadata and the messages of a stored entry (undefined when it is not one). */
export function decodeChunk(text: string): (ChunkMeta & { recs: Rec[] }) | undefined {
  let at = 0;
  const line = (): string | undefined => {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return undefined;
    const v = text.slice(at, nl);
    at = nl + 1;
    return v;
  };
  const prev = Number(line());
  const table = line();
  const count = Number(line());
  if (!Number.isInteger(prev) || table === undefined || !Number.isInteger(count)) return undefined;
  const recs: Rec[] = [];
  for (let i = 0; i < count; i++) {
    const id = line();
    const w = line();
    const len = Number(line());
    if (id === undefined || w === undefined || !Number.isInteger(len) || at + len > text.length) return undefined;
    recs.push({ id, with: w, xml: text.slice(at, at + len) });
    at += len;
  }
  return { prev, table, recs };
}
