// Strict base64 (RFC 4648 §4) as required inside SCRAM attributes (RFC 5802 §7: base64 values).
// Node's Buffer decoder silently skips garbage, so validate first.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Returns the decoded bytes, or null when `text` is not canonical padded base64. */
export function decodeBase64Strict(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  return Buffer.from(text, 'base64');
}
