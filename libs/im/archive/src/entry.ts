// One archive entry as stored: a few lines of metadata, then the message.
//   <id>\n<Cx-Prev sequence>\n<with>\n<skip table>\n<the message XML>
// (JIDs and ids have no line breaks). In the payload rather than in headers:
// no header block to build per append, and fewer bytes stored.
export interface EntryMeta {
  id: string;
  prev: number;
  with: string;
  table: string;
}

const encoder = new TextEncoder();

export function encodeEntry(meta: EntryMeta, xml: string): Uint8Array {
  return encoder.encode(`${meta.id}\n${meta.prev}\n${meta.with}\n${meta.table}\n${xml}`);
}

/** The metadata and the XML of a stored entry (undefined when it is not one). */
export function decodeEntry(text: string): (EntryMeta & { xml: string }) | undefined {
  const a = text.indexOf('\n');
  const b = text.indexOf('\n', a + 1);
  const c = text.indexOf('\n', b + 1);
  const d = text.indexOf('\n', c + 1);
  if (a < 0 || b < 0 || c < 0 || d < 0) return undefined;
  return { id: text.slice(0, a), prev: Number(text.slice(a + 1, b)) || 0, with: text.slice(b + 1, c), table: text.slice(c + 1, d), xml: text.slice(d + 1) };
}
