// XEP-0198 §4: counts are unsigned 32-bit and wrap to zero. Internally the
// server keeps them unwrapped (they fit a double for centuries of traffic)
// and compares with what the client says modulo 2^32.

export const WRAP = 2 ** 32;

export function wrapped(n: number): number {
  return n % WRAP;
}

/** The 'h' attribute as a number, or undefined when it is not a valid xs:unsignedInt. */
export function parseH(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,10}$/.test(s)) return undefined;
  const n = Number(s);
  return n < WRAP ? n : undefined;
}

/**
 * How many stanzas beyond `acked` the client's wrapped `h` acknowledges, given
 * that `sent` stanzas were sent in all (unwrapped); undefined if h claims
 * more than was sent, 0 if h is behind the last acknowledgement.
 */
export function newlyAcked(h: number, acked: number, sent: number): number | undefined {
  const delta = (h - wrapped(acked) + WRAP) % WRAP;
  // An h behind the last one (a late or repeated <a/>) acknowledges nothing new.
  if (delta > WRAP / 2) return 0;
  return acked + delta <= sent ? delta : undefined;
}
