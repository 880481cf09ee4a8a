// Minimal declarations for xmpp.js (@xmpp/client 0.14 ships none), as the e2e tests use it.
declare module '@xmpp/xml' {
  import type { Element as LtxElement } from 'ltx';
  export type Element = LtxElement;
  export function xml(name: string, attrs?: Record<string, string> | null, ...children: Array<Element | string>): Element;
  export default xml;
}
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';
  export { xml } from '@xmpp/xml';
  export interface Client extends EventEmitter {
    start(): Promise<{ toString(): string }>;
    stop(): Promise<void>;
    send(el: Element): Promise<void>;
    iqCaller: { get(el: Element, to?: string): Promise<Element | undefined>; set(el: Element, to?: string): Promise<Element | undefined> };
  }
  export function client(opts: { service: string; domain?: string; username?: string; password?: string; resource?: string }): Client;
}
