// Per-connection XMPP stream parser: bytes in, stream header / stanzas / stream end out.
// RFC 6120 §4.2-§4.4 (opening, restarting and closing streams), §4.8.1 (stream
// namespace), §4.9.3 (stream error conditions), §11 (XML usage), §13.12 (size limits).
import type { Buffer } from 'node:buffer';
import { Element } from 'ltx';
import { ElementBuilder } from './element-builder';
import { Scanner, type ScanHandler } from './scanner';
import {
  DEFAULT_MAX_ATTRIBUTES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_NAMESPACE_DECLARATIONS,
  DEFAULT_MAX_STANZA_BYTES,
  STREAMS_NS,
  type ParserLimit,
  type StanzaLimits,
  type StreamErrorCondition,
  type StreamParserEvents,
  type StreamParserOptions,
} from './types';
import { Utf8Input } from './utf8-input';
import { clip } from './xml-chars';

export class XmlStreamParser {
  private readonly scanner: Scanner;
  private readonly builder: ElementBuilder;
  private input = new Utf8Input();
  private ended = false;

  constructor(
    private readonly events: StreamParserEvents,
    opts: StreamParserOptions = {},
  ) {
    const handler: ScanHandler = {
      startTag: (name, attrs, selfClosing, depth) =>
        depth === 0 ? this.onHeader(name, attrs, selfClosing) : this.builder.start(name, attrs, selfClosing, depth),
      endTag: (_name, depth) => (depth === 0 ? this.onClose() : this.builder.end(depth)),
      text: (text) => this.builder.text(text),
      error: (condition, text, limit) => this.events.onError(condition, text, limit),
    };
    this.scanner = new Scanner(handler, {
      itemDepth: 1,
      maxBytes: opts.maxStanzaBytes ?? DEFAULT_MAX_STANZA_BYTES,
      maxDepth: opts.maxDepth ?? DEFAULT_MAX_DEPTH,
      maxAttrs: opts.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES,
      allowDecl: true,
    });
    this.builder = new ElementBuilder(
      { baseDepth: 1, maxNamespaceDeclarations: opts.maxNamespaceDeclarations ?? DEFAULT_MAX_NAMESPACE_DECLARATIONS, maxDomBytes: opts.maxDomBytes ?? 0 },
      (el) => this.events.onStanza(el),
      (p) => this.fail(p.condition, p.text, p.limit),
    );
  }

  /**
   * Changes the size limits, e.g. from the low pre-authentication ones to the normal
   * ones once the stream is authenticated; they apply to the stanza being read too.
   */
  setLimits(limits: StanzaLimits): void {
    if (limits.maxStanzaBytes !== undefined) this.scanner.opts.maxBytes = limits.maxStanzaBytes;
    if (limits.maxDomBytes !== undefined) this.builder.maxDomBytes = limits.maxDomBytes;
  }

  /** Feeds a chunk; it may end anywhere, even inside a multi-byte character. */
  write(chunk: Buffer | string): void {
    if (this.ended || this.scanner.halted) return;
    const text = typeof chunk === 'string' ? chunk : this.input.decode(chunk);
    if (text === null) {
      const p = this.input.problem;
      if (p !== null) this.fail(p.condition, p.text);
      return;
    }
    if (text !== '') this.scanner.write(text);
  }

  /**
   * Stream restart (RFC 6120 §4.3.3): expects a new header. Everything not yet parsed,
   * including the rest of a chunk being written and bytes held by the decoder, is
   * discarded (no data pipelined before the restart may leak into the new stream).
   * An error stays sticky.
   */
  reset(): void {
    if (this.scanner.failed) return;
    this.scanner.reset();
    this.builder.reset();
    this.input = new Utf8Input();
  }

  /** The input ended; reports 'not-well-formed' if it stopped inside a stanza or header. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.scanner.halted) return;
    if (!this.input.end()) {
      const p = this.input.problem;
      if (p !== null) this.fail(p.condition, p.text);
    } else if (this.scanner.midItem) {
      this.fail('not-well-formed', 'the input ended inside an element');
    }
    this.scanner.finish();
  }

  private fail(condition: StreamErrorCondition, text: string, limit?: ParserLimit): void {
    this.scanner.fail(condition, text, limit);
  }

  private onHeader(name: string, attrs: Record<string, string>, selfClosing: boolean): void {
    const colon = name.indexOf(':');
    const prefix = name.slice(0, colon);
    if (colon <= 0 || name.slice(colon + 1) !== 'stream' || attrs['xmlns:' + prefix] !== STREAMS_NS) {
      return this.fail('invalid-namespace', `the stream header <${clip(name)}> is not a 'stream' element in ${STREAMS_NS}`);
    }
    const problem = this.builder.scope.enter(name, attrs, 0);
    if (problem !== null) return this.fail(problem.condition, problem.text, problem.limit);
    this.builder.topParent = new Element(name, attrs);
    if (selfClosing) this.scanner.finish();
    this.events.onStreamStart(name, attrs);
    if (selfClosing) this.events.onStreamEnd();
  }

  private onClose(): void {
    this.scanner.finish();
    this.events.onStreamEnd();
  }
}
