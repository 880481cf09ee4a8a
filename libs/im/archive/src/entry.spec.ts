import { describe, expect, it } from 'vitest';
import { decodeChunk, encodeChunk } from './entry';

describe('archive entries', () => {
  it('round-trip several messages with their metadata, whatever the XML holds', () => {
    const recs = [
      { id: 'a-1', with: 'p@x/r', xml: `<message><body>two\nlines é 😀</body></message>` },
      { id: 'a-2', with: 'q@x', xml: '<message/>' },
    ];
    const text = new TextDecoder().decode(encodeChunk({ prev: 42, table: 'k:1 j:2' }, recs));
    expect(decodeChunk(text)).toEqual({ prev: 42, table: 'k:1 j:2', recs });
    expect(decodeChunk('garbage')).toBeUndefined();
    expect(decodeChunk(text.slice(0, -3))).toBeUndefined();
  });
});
