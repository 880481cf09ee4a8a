// What an inactive client (XEP-0352) is spared: presence is held, only the
// latest per sender kept; other non-urgent stanzas (chat states, receipts:
// messages without a body) are held in order. Anything urgent (a message with
// a body, an iq, an error) goes out at once, after what was held, so the
// order the client sees stays the order things happened. What is held is
// bounded by count and by bytes (CSI_MAX_BUFFER_BYTES); past either bound it
// is all written (XEP-0352 §6: a server may flush at any time; nothing is
// dropped but superseded presence).
import { Counter } from 'prom-client';
import { StanzaKind } from '@cx/stanza';

const { STANZA_KIND_MESSAGE: MESSAGE, STANZA_KIND_PRESENCE: PRESENCE } = StanzaKind;
const MAX_HELD = 500;
/** The byte bound when none is set (the edge sets CSI_MAX_BUFFER_BYTES). */
export const DEFAULT_CSI_MAX_BYTES = 262_144;

const flushes = new Counter({
  name: 'xmpp_edge_csi_flushes_total',
  help: 'Buffers of inactive clients (XEP-0352) written out because they reached a bound',
  labelNames: ['bound'],
});

export class CsiBuffer {
  private held: Array<{ key?: string; data: Buffer }> = [];
  private heldBytes = 0;
  inactive = false;
  /** Bytes held at most; beyond it everything held is written. */
  maxBytes = DEFAULT_CSI_MAX_BYTES;
  /** Told of each stanza dropped because a newer presence from the same sender superseded it. */
  onDrop?: (data: Buffer) => void;

  /** Returns what to write now (possibly nothing). */
  offer(data: Buffer, kind: StanzaKind): Buffer[] {
    if (!this.inactive) return [data];
    if (urgent(data, kind)) return [...this.take(), data];
    const key = kind === PRESENCE ? fromOf(data) : undefined;
    if (key !== undefined) {
      const onDrop = this.onDrop;
      this.held = this.held.filter((h) => {
        if (h.key !== key) return true;
        this.heldBytes -= h.data.length;
        onDrop?.(h.data);
        return false;
      });
    }
    this.held.push({ key, data });
    this.heldBytes += data.length;
    const bound = this.held.length > MAX_HELD ? 'count' : this.heldBytes > this.maxBytes ? 'bytes' : undefined;
    if (!bound) return [];
    flushes.inc({ bound });
    return this.take();
  }

  /** <active/>: everything held, in order. */
  activate(): Buffer[] {
    this.inactive = false;
    return this.take();
  }

  private take(): Buffer[] {
    const out = this.held.map((h) => h.data);
    this.held = [];
    this.heldBytes = 0;
    return out;
  }
}

function urgent(data: Buffer, kind: StanzaKind): boolean {
  if (kind !== MESSAGE && kind !== PRESENCE) return true; // iq and server replies
  if (kind === PRESENCE)
    return data.includes('type="error"') || data.includes("type='error'") || data.includes('type="subscribe"') || data.includes("type='subscribe'");
  return data.includes('<body') || data.includes('type="error"') || data.includes("type='error'");
}

/** The 'from' attribute of the stanza's start tag, without parsing the rest. */
export function fromOf(data: Buffer): string | undefined {
  const end = data.indexOf('>');
  const head = data.subarray(0, end < 0 ? data.length : end).toString('utf8');
  return /\sfrom=(?:"([^"]*)"|'([^']*)')/
    .exec(head)
    ?.slice(1)
    .find((v) => v !== undefined);
}
