// Named events with ordered handlers, as Prosody's module:hook(name, fn,
// priority) and ejabberd's ejabberd_hooks:add(Hook, Host, Fun, Seq): handlers
// run from the highest priority down (equal priorities in the order they
// were added); one that returns STOP ends the chain, anything else passes.
// A chain of synchronous handlers runs synchronously (routing calls these on
// every stanza), and becomes a promise only at the first handler that waits.

/** Returned by a handler: the event is handled, later handlers do not run. */
export const STOP = 'stop' as const;

export type HookResult = void | typeof STOP;
export type HookHandler<E> = (event: E) => HookResult | Promise<HookResult>;

interface Entry<E> {
  fn: HookHandler<E>;
  priority: number;
  module: string;
}

/**
 * Insert into a chain kept from the highest priority down: after every entry
 * of the same or a higher priority, so equal ones run in the order added.
 * Hooks and the module host's IQ handlers order the same way.
 */
export function insertByPriority<T extends { priority: number }>(chain: T[], entry: T): void {
  const at = chain.findIndex((e) => e.priority < entry.priority);
  chain.splice(at < 0 ? chain.length : at, 0, entry);
}

export class Hooks<Events extends object> {
  private readonly chains = new Map<keyof Events, Array<Entry<never>>>();

  on<K extends keyof Events>(hook: K, fn: HookHandler<Events[K]>, opts: { priority?: number; module?: string } = {}): this {
    const chain = (this.chains.get(hook) ?? []) as Array<Entry<Events[K]>>;
    insertByPriority(chain, { fn, priority: opts.priority ?? 0, module: opts.module ?? '' });
    this.chains.set(hook, chain as Array<Entry<never>>);
    return this;
  }

  /** Does any handler listen (so callers can skip building an event nobody reads)? */
  has(hook: keyof Events): boolean {
    return (this.chains.get(hook)?.length ?? 0) > 0;
  }

  /** Which modules handle a hook, in the order they run. */
  modules(hook: keyof Events): string[] {
    return (this.chains.get(hook) ?? []).map((e) => e.module);
  }

  /** Does `module` handle any hook? */
  hookedBy(module: string): boolean {
    for (const chain of this.chains.values()) if (chain.some((e) => e.module === module)) return true;
    return false;
  }

  /**
   * Run the chain; true when a handler stopped it. A promise only once a
   * handler returned one. A handler that throws ends the chain with its error
   * (routing then answers the sender internal-server-error, as before hooks).
   */
  fire<K extends keyof Events>(hook: K, event: Events[K]): boolean | Promise<boolean> {
    const chain = this.chains.get(hook) as Array<Entry<Events[K]>> | undefined;
    if (!chain) return false;
    return this.run(chain, 0, event);
  }

  private run<E>(chain: ReadonlyArray<Entry<E>>, from: number, event: E): boolean | Promise<boolean> {
    for (let i = from; i < chain.length; i++) {
      const r = chain[i].fn(event);
      if (r === STOP) return true;
      if (r instanceof Promise) return r.then((v) => (v === STOP ? true : this.run(chain, i + 1, event)));
    }
    return false;
  }
}
