// The edge's certificate: read from files, and read again when either file
// changes, so a renewed certificate applies to new connections without a
// restart (existing ones keep theirs).
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Logger } from '@cx/log';

export class TlsContext {
  private current: SecureContext;
  private readonly listeners: Array<(o: { cert: Buffer; key: Buffer }) => void> = [];

  constructor(
    private readonly certFile: string,
    private readonly keyFile: string,
    private readonly log: Logger,
  ) {
    this.current = createSecureContext(this.read());
    for (const f of [certFile, keyFile]) watchFile(f, { interval: 2000 }, () => this.reload());
  }

  private read(): { cert: Buffer; key: Buffer } {
    return { cert: readFileSync(this.certFile), key: readFileSync(this.keyFile) };
  }

  private reload(): void {
    try {
      const o = this.read();
      this.current = createSecureContext(o);
      for (const fn of this.listeners) fn(o);
      this.log.info({ cert: this.certFile }, 'TLS certificate reloaded');
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'TLS certificate reload failed; keeping the old one');
    }
  }

  get context(): SecureContext {
    return this.current;
  }

  get options(): { cert: Buffer; key: Buffer } {
    return this.read();
  }

  onReload(fn: (o: { cert: Buffer; key: Buffer }) => void): void {
    this.listeners.push(fn);
  }

  close(): void {
    for (const f of [this.certFile, this.keyFile]) unwatchFile(f);
  }
}
