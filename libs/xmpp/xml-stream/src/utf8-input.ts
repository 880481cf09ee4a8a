// Incremental UTF-8 decoding of the byte stream.
// RFC 6120 §11.6 (UTF-8 only; other encodings are 'unsupported-encoding'); RFC 3629
// (invalid byte sequences make the XML 'not-well-formed'); XML 1.0 §4.3.3, Appendix F
// (byte order marks used to detect UTF-16).
import { Buffer } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import type { StreamErrorCondition } from './types';

export interface DecodeProblem {
  condition: StreamErrorCondition;
  text: string;
}

const FFFD = '\uFFFD';
const FFFD_BYTES = Buffer.from([0xef, 0xbf, 0xbd]);
const INVALID: DecodeProblem = { condition: 'not-well-formed', text: 'invalid UTF-8 byte sequence' };
const UTF16: DecodeProblem = { condition: 'unsupported-encoding', text: 'only UTF-8 is supported (UTF-16 detected)' };

function looksUtf16(b: Buffer): boolean {
  const [x, y] = [b[0], b[1]];
  return (x === 0xfe && y === 0xff) || (x === 0xff && y === 0xfe) || (x === 0x00 && y === 0x3c) || (x === 0x3c && y === 0x00);
}

function count(text: string, ch: string): number {
  let n = 0;
  for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) n++;
  return n;
}

/**
 * StringDecoder keeps multi-byte chars split across chunks intact and turns invalid
 * bytes into U+FFFD. A U+FFFD in the output is valid only if it was literally encoded
 * (EF BF BD); this checks that by counting, so valid input costs one indexOf.
 */
export class Utf8Input {
  problem: DecodeProblem | null = null;
  private decoder = new StringDecoder('utf8');
  private started = false;
  /** How many bytes of a literal EF BF BD ended the previous chunk (0-2). */
  private partial = 0;

  decode(chunk: Buffer): string | null {
    if (chunk.length === 0) return '';
    if (!this.started && chunk.length >= 2 && looksUtf16(chunk)) return this.reject(UTF16);
    let text = this.decoder.write(chunk);
    if (text.indexOf(FFFD) !== -1 && count(text, FFFD) !== this.literalCount(chunk)) return this.reject(INVALID);
    this.partial = this.trailingPartial(chunk);
    if (!this.started && text !== '') {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // UTF-8 byte order mark
    }
    return text;
  }

  /** Flushes the decoder; a truncated char at the end is invalid. */
  end(): boolean {
    if (this.decoder.end() === '') return true;
    this.problem = INVALID;
    return false;
  }

  private reject(problem: DecodeProblem): null {
    this.problem = problem;
    return null;
  }

  /** Literal EF BF BD sequences completed by this chunk. */
  private literalCount(chunk: Buffer): number {
    let n = 0;
    if (this.partial === 2 && chunk[0] === 0xbd) n++;
    if (this.partial === 1 && chunk[0] === 0xbf && chunk[1] === 0xbd) n++;
    for (let i = chunk.indexOf(FFFD_BYTES); i !== -1; i = chunk.indexOf(FFFD_BYTES, i + 1)) n++;
    return n;
  }

  private trailingPartial(chunk: Buffer): number {
    const n = chunk.length;
    if (chunk[n - 1] === 0xef) return 1;
    if (chunk[n - 1] === 0xbf && (n >= 2 ? chunk[n - 2] === 0xef : this.partial === 1)) return 2;
    return 0;
  }
}
