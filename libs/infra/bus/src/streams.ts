// Open a JetStream stream, creating it when it is missing. Several processes
// start at once, so another may create it between our look and our add: an
// add that fails is fine when the stream is there afterwards.
import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';

export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch {
    await jsm.streams.add(config).catch(async (err) => {
      await jsm.streams.info(config.name).catch(() => Promise.reject(err));
    });
  }
}
