// Where a delivery sits in the stream xmpp_sm: a stream message is one
// router batch holding several deliveries, so a delivery is (stream sequence,
// index in the batch), kept as one number: seq × 16384 + index. A batch is at
// most 256 KiB and a delivery takes more than 16 bytes, so the index fits.
// SmState.out_seq holds the position of the last acknowledged delivery.
import type { edgev1, sessionv1 } from '@cx/proto';

export const PER_MESSAGE = 16384;

export function position(seq: number, idx: number): number {
  return seq * PER_MESSAGE + idx;
}

export function seqOf(pos: number): number {
  return Math.floor(pos / PER_MESSAGE);
}

/** The position after every delivery of stream message `seq`. */
export function endOf(seq: number): number {
  return position(seq, PER_MESSAGE - 1);
}

/** Which deliveries of a saved session are not acknowledged: its own, after out_seq, not skipped by CSI. */
export function unackedFilter(state: sessionv1.SmState): (seq: number, idx: number, d: edgev1.Delivery) => boolean {
  const skipped = new Set(state.skipped);
  return (seq, idx, d) => {
    if (d.connectionId !== state.connectionId) return false;
    const p = position(seq, idx);
    return p > state.outSeq && !skipped.has(p);
  };
}

/** The stream sequence to read after, to see every unacknowledged delivery of a saved session. */
export function readAfter(state: sessionv1.SmState): number {
  return Math.max(0, seqOf(state.outSeq) - 1);
}
