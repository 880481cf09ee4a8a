// DIGEST-MD5 digest-response parsing and validation, RFC 2831 §2.1.2 (directives, charset
// handling of username/realm/authzid) with the XMPP profile: realm = domain, digest-uri
// "xmpp/<domain>", qop=auth, nc=00000001.
import { parseDirectives, single, type Directives } from './digest-md5-directives';
import { SaslFailure, decodeUtf8 } from './exchange';

export interface DigestResponse {
  username: string;
  realm: string;
  nonce: string;
  cnonce: string;
  nc: string;
  qop: string;
  digestUri: string;
  response: string;
  authzid?: string;
}

const malformed = (text: string) => new SaslFailure('malformed-request', text);
const denied = (text: string) => new SaslFailure('not-authorized', text);

function optional(d: Directives, name: string): string | undefined {
  const value = single(d, name);
  if (value === null) throw malformed(`duplicate ${name}`);
  return value;
}

function required(d: Directives, name: string): string {
  const value = optional(d, name);
  if (value === undefined) throw malformed(`missing ${name}`);
  return value;
}

/** Parsing works on latin1 (one char per byte); with charset=utf-8 text values are re-decoded. */
function textDecoder(d: Directives): (v: string) => string {
  const charset = optional(d, 'charset');
  if (charset === undefined) return (v) => v;
  if (charset.toLowerCase() !== 'utf-8') throw malformed('unsupported charset');
  return (v) => decodeUtf8(Buffer.from(v, 'latin1'));
}

/** Parses a digest-response; syntax problems and missing directives are malformed-request. */
export function parseDigestResponse(data: Buffer): DigestResponse {
  const d = parseDirectives(data.toString('latin1'));
  if (d === null) throw malformed('invalid directive syntax');
  const text = textDecoder(d);
  const response = required(d, 'response');
  if (!/^[0-9a-fA-F]{32}$/.test(response)) throw malformed('invalid response value');
  const authzid = optional(d, 'authzid');
  const parsed: DigestResponse = {
    username: text(required(d, 'username')),
    realm: text(optional(d, 'realm') ?? ''),
    nonce: required(d, 'nonce'),
    cnonce: required(d, 'cnonce'),
    nc: required(d, 'nc'),
    qop: optional(d, 'qop') ?? 'auth',
    digestUri: required(d, 'digest-uri'),
    response: response.toLowerCase(),
  };
  if (authzid !== undefined && authzid !== '') parsed.authzid = text(authzid);
  return parsed;
}

/** Checks the response against the server's challenge; anything off is not-authorized. */
export function checkDigestResponse(r: DigestResponse, domain: string, nonce: string): void {
  if (r.realm !== '' && r.realm !== domain) throw denied('realm mismatch');
  if (r.nonce !== nonce) throw denied('nonce mismatch');
  if (r.nc !== '00000001') throw denied('unexpected nonce count');
  if (r.qop !== 'auth') throw denied('unsupported qop');
  if (r.digestUri !== `xmpp/${domain}`) throw denied('digest-uri mismatch');
}
