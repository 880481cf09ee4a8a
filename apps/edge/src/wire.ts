// What a connection reads from and writes to: a TCP or TLS socket, or a
// WebSocket (ws-server.ts).
export interface Wire {
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  readonly remoteAddress?: string;
  /** One element per write (WebSocket framing): writes are not joined. */
  readonly framed?: boolean;
  on(ev: 'data', fn: (b: Buffer) => void): unknown;
  on(ev: 'error', fn: (e: Error) => void): unknown;
  on(ev: 'close', fn: () => void): unknown;
  off(ev: 'data', fn: (b: Buffer) => void): unknown;
  /** `done` runs once the data is handed to the kernel (null) or cannot be (an error). */
  write(data: string | Buffer, done?: (err?: Error | null) => void): unknown;
  end(): unknown;
  destroy(): unknown;
}
