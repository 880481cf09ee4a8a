// SCRAM channel binding on the server, RFC 5802 §6 (gs2-cbind-flag rules and downgrade
// detection) and §7 (c= is the base64 of the gs2 header followed by the binding data), with the
// binding types of RFC 5929 §4 (tls-server-end-point) and RFC 9266 (tls-exporter).
import { SaslFailure } from './exchange';
import type { CbindFlag } from './scram-messages';
import type { SaslContext } from './types';

/**
 * Checks the client's gs2-cbind-flag against the mechanism and what this connection offers, and
 * returns the bytes the client's c= must carry after the gs2 header (empty without a binding).
 */
export function expectedBindingData(cbind: CbindFlag, plus: boolean, ctx: SaslContext): Buffer {
  if (cbind.flag === 'p') {
    if (!plus) throw new SaslFailure('malformed-request', 'channel binding needs a -PLUS mechanism');
    const binding = ctx.channelBindings?.find((b) => b.type === cbind.type);
    // Nothing is checked yet: the client may try another type or mechanism (a refusal, not a wrong password).
    if (binding === undefined) throw new SaslFailure('not-authorized', `channel binding type ${cbind.type} is not available here`, 'refused');
    return binding.data;
  }
  if (plus) throw new SaslFailure('malformed-request', 'a -PLUS mechanism needs p=<channel binding type>');
  // "y": the client supports binding but thinks we do not. We advertised -PLUS, so someone
  // removed it on the way (RFC 5802 §6): refuse.
  // Also after a -PLUS attempt with a type we lack on this stream: a man in the middle could make
  // that attempt himself, so accepting "y" then would protect no one (docs/architecture.md).
  if (cbind.flag === 'y' && ctx.plusAdvertised === true) throw new SaslFailure('not-authorized', 'channel binding downgrade detected', 'refused');
  return Buffer.alloc(0);
}
