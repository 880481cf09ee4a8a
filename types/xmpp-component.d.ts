// Minimal declarations for xmpp.js's component (@xmpp/component 0.13 ships none), as the e2e tests use it.
declare module '@xmpp/component' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';
  export { xml } from '@xmpp/xml';
  type Handler = (ctx: { stanza: Element; from: { toString(): string } }) => Element | Promise<Element> | undefined;
  export interface Component extends EventEmitter {
    status: string;
    start(): Promise<{ toString(): string }>;
    stop(): Promise<void>;
    send(el: Element): Promise<void>;
    iqCallee: { get(ns: string, name: string, handler: Handler): void; set(ns: string, name: string, handler: Handler): void };
    iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
    reconnect: EventEmitter & { delay: number; stop(): void };
  }
  export function component(opts: { service: string; domain: string; password: string }): Component;
}
