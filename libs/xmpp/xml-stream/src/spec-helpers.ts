// Test helpers (not exported from index.ts): records parser events for the specs of the
// RFC 6120 §4 stream parser.
import { Buffer } from 'node:buffer';
import { XmlStreamParser } from './stream-parser';
import type { StreamParserOptions } from './types';

export type Event = ['start', string, Record<string, string>] | ['stanza', string] | ['end'] | ['error', string, string];

export interface Recorder {
  parser: XmlStreamParser;
  events: Event[];
}

export const NS_DECLS = "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'";
export const HEADER = `<stream:stream ${NS_DECLS} to='example.com' version='1.0'>`;

export function record(opts?: StreamParserOptions): Recorder {
  const events: Event[] = [];
  const parser = new XmlStreamParser(
    {
      onStreamStart: (name, attrs) => events.push(['start', name, { ...attrs }]),
      onStanza: (el) => events.push(['stanza', el.toString()]),
      onStreamEnd: () => events.push(['end']),
      onError: (condition, text) => events.push(['error', condition, text]),
    },
    opts,
  );
  return { parser, events };
}

/** Parses `chunks` with a fresh parser and returns the events. */
export function parseChunks(chunks: Array<Buffer | string>, opts?: StreamParserOptions): Event[] {
  const { parser, events } = record(opts);
  for (const c of chunks) parser.write(c);
  return events;
}

/** Splits bytes into pieces ending at the given offsets. */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(bytes.subarray(prev, cut));
    prev = cut;
  }
  return out;
}

/** Deterministic pseudo-random numbers (mulberry32) for reproducible chunkings. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first error event, if any. */
export function firstError(events: Event[]): Event | undefined {
  return events.find((e) => e[0] === 'error');
}

export function bytes(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}
