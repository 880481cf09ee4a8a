// Mechanism registry and offering, RFC 6120 §6.3.3 (<mechanisms/> advertised in preference
// order) and RFC 4422 §3.1 (mechanism names).
import { digestMd5 } from './digest-md5-server';
import { plain } from './plain-server';
import { scramSha1, scramSha1Plus, scramSha256, scramSha256Plus } from './scram-server';
import type { Capability, ServerMechanism } from './types';

/** In preference order: the -PLUS variants first (where the connection has a binding), then SCRAM-SHA-256, SCRAM-SHA-1, DIGEST-MD5, PLAIN. */
export const mechanisms: readonly ServerMechanism[] = Object.freeze([scramSha256Plus, scramSha1Plus, scramSha256, scramSha1, digestMd5, plain]);

/** The mechanisms whose requirements the backend can all supply, in preference order. */
export function offeredMechanisms(caps: ReadonlySet<Capability>): ServerMechanism[] {
  return mechanisms.filter((m) => m.requires.every((c) => caps.has(c)));
}

/** Looks a mechanism up by its exact (upper-case) SASL name. */
export function findMechanism(name: string): ServerMechanism | undefined {
  return mechanisms.find((m) => m.name === name);
}
