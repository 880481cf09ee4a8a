// Strict streaming XML scanner for XMPP (RFC 6120 §11: XML usage; XML 1.0 §2-§3).
// Derived from the approach of ltx's SaxLtx parser (src/parsers/ltx.js, MIT licence,
// Copyright (c) Stephan Maka and the ltx contributors): a resumable state machine with
// indexOf fast paths that slices the input instead of concatenating characters.
// Unlike SaxLtx it reports every well-formedness and restricted-XML violation and
// enforces a byte budget per top-level item (stanza or stream header).
import { Buffer } from 'node:buffer';
import { cookText, type Rejected } from './char-data';
import { scanBang, scanCData, scanDecl, scanPi } from './scan-markup';
import * as S from './scan-states';
import { scanAttrEq, scanAttrName, scanAttrQuote, scanAttrValue, scanEndName, scanEndSpace } from './scan-attrs';
import { scanSelfClose, scanStartName, scanTag } from './scan-tags';
import { scanLt, scanText } from './scan-text';
import { sizeLimitText, type ParserLimit, type StreamErrorCondition } from './types';
import type { ScanHandler, ScannerOptions } from './scan-states';
import { clip } from './xml-chars';

export type { ScanHandler, ScannerOptions } from './scan-states';

export class Scanner {
  state: number = S.TEXT;
  /** Part of the current token seen in earlier chunks. */
  pending = '';
  /** Unconsumed tail re-scanned with the next chunk (at most 2 chars). */
  carry = '';
  tagName = '';
  attrs: Record<string, string> = {};
  attrCount = 0;
  attrName = '';
  quote = '"';
  sawSpace = false;
  declAllowed: boolean;
  readonly stack: string[] = [];
  private inItem = false;
  private itemBytes = 0;
  private countFrom = 0;
  private gen = 0;

  constructor(
    private readonly handler: ScanHandler,
    readonly opts: ScannerOptions,
  ) {
    this.declAllowed = opts.allowDecl;
  }

  get halted(): boolean {
    return this.state >= S.DONE;
  }

  get failed(): boolean {
    return this.state === S.FAILED;
  }

  /** Whether the input stopped inside a top-level item. */
  get midItem(): boolean {
    return this.inItem || this.state !== S.TEXT || this.stack.length > this.opts.itemDepth;
  }

  write(input: string): void {
    if (this.halted) return;
    const data = this.carry === '' ? input : this.carry + input;
    this.countFrom = this.carry.length;
    this.carry = '';
    const gen = this.gen;
    let pos = 0;
    while (pos < data.length) {
      pos = this.step(data, pos);
      if (this.gen !== gen) return; // failed, finished or reset by a handler
    }
    this.endChunk(data);
  }

  private step(data: string, pos: number): number {
    switch (this.state) {
      case S.TEXT:
        return scanText(this, data, pos);
      case S.LT:
        return scanLt(this, data, pos);
      case S.START_NAME:
        return scanStartName(this, data, pos);
      case S.TAG:
        return scanTag(this, data, pos);
      case S.SELF_CLOSE:
        return scanSelfClose(this, data, pos);
      case S.ATTR_NAME:
        return scanAttrName(this, data, pos);
      case S.ATTR_EQ:
        return scanAttrEq(this, data, pos);
      case S.ATTR_QUOTE:
        return scanAttrQuote(this, data, pos);
      case S.ATTR_VALUE:
        return scanAttrValue(this, data, pos);
      case S.END_NAME:
        return scanEndName(this, data, pos);
      case S.END_SPACE:
        return scanEndSpace(this, data, pos);
      case S.BANG:
        return scanBang(this, data, pos);
      case S.CDATA:
        return scanCData(this, data, pos);
      case S.PI:
        return scanPi(this, data, pos);
      case S.DECL:
        return scanDecl(this, data, pos);
      default:
        return data.length;
    }
  }

  private endChunk(data: string): void {
    if (!this.inItem) return;
    this.itemBytes += Buffer.byteLength(data.slice(this.countFrom));
    if (this.itemBytes > this.opts.maxBytes) this.fail('policy-violation', sizeLimitText(this.opts.maxBytes), 'stanza-size');
  }

  /** Reports an error once and halts; returns -1 for the step functions. */
  fail(condition: StreamErrorCondition, text: string, limit?: ParserLimit): number {
    if (this.halted) return -1;
    this.halt(S.FAILED);
    this.handler.error(condition, text, limit);
    return -1;
  }

  /** Ignores all further input (the document ended). */
  finish(): void {
    if (!this.halted) this.halt(S.DONE);
  }

  /** Forgets everything and expects a new document; a failure stays sticky. */
  reset(): void {
    if (this.failed) return;
    this.halt(S.TEXT);
    this.declAllowed = this.opts.allowDecl;
  }

  private halt(state: number): void {
    this.state = state;
    this.gen++;
    this.pending = '';
    this.carry = '';
    this.stack.length = 0;
    this.inItem = false;
  }

  beginItem(pos: number): void {
    this.inItem = true;
    this.itemBytes = 0;
    this.countFrom = pos;
  }

  /** Whether the current item is still within budget up to data[pos]; reports if not. */
  checkBudget(data: string, pos: number): boolean {
    if (!this.inItem) return true;
    const max = this.opts.maxBytes;
    if (this.itemBytes + (pos - this.countFrom) * 3 <= max) return true; // UTF-8 <= 3 bytes per unit
    this.itemBytes += Buffer.byteLength(data.slice(this.countFrom, pos));
    this.countFrom = pos;
    if (this.itemBytes <= max) return true;
    this.fail('policy-violation', sizeLimitText(max), 'stanza-size');
    return false;
  }

  /** The pending part of a token joined with its last piece. */
  takePending(piece: string): string {
    if (this.pending === '') return piece;
    const whole = this.pending + piece;
    this.pending = '';
    return whole;
  }

  reject(r: Rejected): number {
    return this.fail('not-well-formed', r.bad);
  }

  /** Text inside an item, emitted before the markup at data[next]. */
  emitText(raw: string, data: string, next: number, cook = cookText): number {
    const text = cook(raw);
    if (typeof text !== 'string') return this.reject(text);
    if (!this.checkBudget(data, next)) return -1;
    this.state = S.TEXT;
    if (text !== '') this.handler.text(text);
    return next;
  }

  /** The start tag in tagName/attrs ended just before data[next]. */
  openTag(data: string, next: number, selfClosing: boolean): number {
    const depth = this.stack.length;
    const { itemDepth, maxDepth } = this.opts;
    if (depth - itemDepth >= maxDepth) {
      return this.fail('policy-violation', `elements are nested more than ${maxDepth} levels deep`, 'depth');
    }
    if (!this.checkBudget(data, next)) return -1;
    if ((selfClosing ? depth : depth + 1) <= itemDepth) this.inItem = false;
    const name = this.tagName;
    if (!selfClosing) this.stack.push(name);
    this.declAllowed = false;
    this.state = S.TEXT;
    this.handler.startTag(name, this.attrs, selfClosing, depth);
    return next;
  }

  /** An end tag ended just before data[next]. */
  closeTag(name: string, data: string, next: number): number {
    const open = this.stack.pop();
    if (open !== name) {
      const got = `</${clip(name)}>`;
      return this.fail('not-well-formed', open === undefined ? `unexpected end tag ${got}` : `end tag ${got} does not match <${open}>`);
    }
    const depth = this.stack.length;
    if (!this.checkBudget(data, next)) return -1;
    if (depth <= this.opts.itemDepth) this.inItem = false;
    this.state = S.TEXT;
    this.handler.endTag(name, depth);
    return next;
  }

  /** A markup construct that ends an item (CDATA, declaration) ended before data[next]. */
  closeMarkup(data: string, next: number): boolean {
    if (!this.checkBudget(data, next)) return false;
    if (this.stack.length <= this.opts.itemDepth) this.inItem = false;
    this.state = S.TEXT;
    return true;
  }
}
