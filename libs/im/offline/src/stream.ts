// The JetStream stream holding offline messages: one subject per user,
// xmpp.offline.<encodeKey(bare JID)>, file storage, messages expiring after
// maxAge. The per-user limit is the stream's max_msgs_per_subject with
// discard_new_per_subject (nats-server ≥ 2.9.0): the server itself refuses a
// message beyond the limit (err_code 10077, "maximum messages per subject
// exceeded"), so two routers storing at once cannot overshoot it.
import { encodeKey } from '@cx/bus';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';

export const OFFLINE_STREAM = 'xmpp_offline';
export const OFFLINE_SUBJECTS = 'xmpp.offline.>';

/** The subject of one user's stored messages (encodeKey keeps it one token). */
export function offlineSubject(bareJid: string): string {
  if (!bareJid) throw new Error('offline storage needs a bare JID');
  return `xmpp.offline.${encodeKey(bareJid)}`;
}

/** JetStream's default duplicate window; it may not exceed max_age. */
const DUPLICATE_WINDOW_MS = 120_000;

/** The settings this library owns; anything else on an existing stream is kept. */
export function limits(limitPerUser: number, maxAgeMs: number, maxStreamBytes = 0): Partial<StreamConfig> {
  const ns = (ms: number) => ms * 1_000_000;
  return {
    discard: DiscardPolicy.New,
    discard_new_per_subject: true,
    max_msgs_per_subject: limitPerUser,
    // All users together (OFFLINE_STREAM_MAX_BYTES): a full queue refuses new messages instead of filling JetStream's storage.
    max_bytes: maxStreamBytes > 0 ? maxStreamBytes : -1,
    max_age: ns(maxAgeMs), // 0 = no expiry
    // Unused (no message ids), but the server refuses a window above max_age.
    duplicate_window: ns(maxAgeMs > 0 ? Math.min(DUPLICATE_WINDOW_MS, maxAgeMs) : DUPLICATE_WINDOW_MS),
  };
}

/**
 * Create the stream, or bring an existing one to these limits. Replicas that
 * open it at once with the same options agree (creating an identical stream
 * twice succeeds); with different options the last one to open wins.
 */
export async function ensureStream(jsm: JetStreamManager, want: Partial<StreamConfig>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const current = await jsm.streams.info(OFFLINE_STREAM).catch((err: unknown) => {
      if (isApiError(err, JetStreamApiCodes.StreamNotFound)) return null;
      throw err;
    });
    if (current === null) {
      try {
        await jsm.streams.add({
          name: OFFLINE_STREAM,
          subjects: [OFFLINE_SUBJECTS],
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          ...want,
        });
        return;
      } catch (err) {
        // Another replica created it first with other limits: update it instead.
        if (attempt < 3 && isApiError(err, STREAM_NAME_IN_USE)) continue;
        throw err;
      }
    }
    const cfg = current.config as unknown as Record<string, unknown>;
    const differs = Object.entries(want).some(([k, v]) => cfg[k] !== v);
    if (differs) await jsm.streams.update(OFFLINE_STREAM, want);
    return;
  }
}

/** "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10058;

/** "maximum messages per subject exceeded" is one reason of the generic store failure. */
const STORE_FAILED = 10077;

export function isPerSubjectLimit(err: unknown): boolean {
  return isApiError(err, STORE_FAILED) && /maximum messages per subject/i.test((err as Error).message);
}

/** The per-user count or the stream's byte bound refused a message. */
export function isStoreLimit(err: unknown): boolean {
  return isPerSubjectLimit(err) || (err instanceof JetStreamApiError && /maximum bytes/i.test(err.message));
}

export function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}
