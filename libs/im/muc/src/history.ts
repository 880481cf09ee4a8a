// XEP-0045 §7.2.13–14: the last groupchat messages of a room, kept in the
// room (bounded by count and by bytes per message), sent on joining as the
// joiner's <history/> asks.
import type { Room } from './room';

export interface HistoryEntry {
  /** The message as broadcast (from room/nick), XML. */
  xml: string;
  /** When the room took it, epoch ms. */
  at: number;
}

export interface HistoryLimits {
  /** Messages kept (MUC_HISTORY_MESSAGES; 0: none). */
  messages: number;
  /** Bytes of one message kept (a bigger one is broadcast, not kept). */
  maxBytes: number;
}

/** The room with this message appended and the oldest beyond the bound dropped (unchanged when it is not kept). */
export function remember(room: Room, entry: HistoryEntry, limits: HistoryLimits): Room {
  if (limits.messages <= 0 || entry.xml.length > limits.maxBytes) return room;
  const history = [...(room.history ?? []), entry].slice(-limits.messages);
  return { ...room, history };
}

export interface HistoryRequest {
  maxchars?: number;
  maxstanzas?: number;
  seconds?: number;
  since?: number;
}

/** The entries a join asks for (§7.2.14): maxchars=0 none; the others narrow. */
export function historyFor(room: Room, req: HistoryRequest, now: number): HistoryEntry[] {
  return pickHistory(room.history ?? [], req, now);
}

/** The last page of the room's archive a join asks for (at most `limit` messages, from `start`); null: none. */
export function historyQuery(req: HistoryRequest, limit: number, now: number): { max: number; start?: number } | null {
  const max = Math.min(limit, req.maxstanzas ?? limit);
  if (max <= 0 || req.maxchars === 0) return null;
  const starts = [req.seconds !== undefined ? now - req.seconds * 1000 : undefined, req.since].filter((t): t is number => t !== undefined);
  return starts.length ? { max, start: Math.max(...starts) } : { max };
}

/** Of these entries (oldest first), those the join asks for. */
export function pickHistory(entries: HistoryEntry[], req: HistoryRequest, now: number): HistoryEntry[] {
  let h = entries;
  if (req.maxchars === 0) return [];
  if (req.seconds !== undefined) h = h.filter((e) => e.at >= now - req.seconds! * 1000);
  if (req.since !== undefined) h = h.filter((e) => e.at > req.since!);
  if (req.maxstanzas !== undefined) h = req.maxstanzas <= 0 ? [] : h.slice(-req.maxstanzas);
  if (req.maxchars !== undefined) {
    const out: HistoryEntry[] = [];
    let chars = 0;
    for (const e of [...h].reverse()) {
      chars += e.xml.length;
      if (chars > req.maxchars) break;
      out.unshift(e);
    }
    h = out;
  }
  return h;
}
