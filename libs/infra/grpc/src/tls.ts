// Mutual TLS between the services: every server presents its certificate and
// requires a client certificate signed by the same CA; every client presents
// its certificate and verifies the server's (its name must be the host of the
// address dialled: auth, session, router in Kubernetes). Files in PEM, read at
// start (GRPC_TLS_CA, GRPC_TLS_CERT, GRPC_TLS_KEY); none set: plaintext.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';

export interface GrpcTlsFiles {
  /** The CA that signs every service's certificate (PEM). */
  ca: string;
  /** This process's certificate (chain), used as server and as client certificate. */
  cert: string;
  key: string;
}

export interface GrpcTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** Read and check the files; undefined when none is set (plaintext), an error naming what is wrong otherwise. */
export function loadGrpcTls(files: GrpcTlsFiles): GrpcTls | undefined {
  const set = [files.ca, files.cert, files.key].filter(Boolean).length;
  if (set === 0) return undefined;
  if (set < 3) throw new Error('gRPC TLS needs all of GRPC_TLS_CA, GRPC_TLS_CERT and GRPC_TLS_KEY');
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`${what} ${file}: ${(err as Error).message}`);
    }
  };
  const tls = { ca: read('GRPC_TLS_CA', files.ca), cert: read('GRPC_TLS_CERT', files.cert), key: read('GRPC_TLS_KEY', files.key) };
  try {
    new X509Certificate(tls.ca);
    new X509Certificate(tls.cert);
    createPrivateKey(tls.key);
  } catch (err) {
    throw new Error(`gRPC TLS files are not PEM certificates and key: ${(err as Error).message}`);
  }
  return tls;
}

/** Server side: present our certificate, require and verify the client's. */
export function serverCredentials(tls: GrpcTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}

/** Client side: verify the server against the CA, present our certificate. */
export function channelCredentials(tls: GrpcTls | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  return credentials.createSsl(tls.ca, tls.key, tls.cert);
}

/** loadGrpcTls from the shared settings GRPC_TLS_CA, GRPC_TLS_CERT, GRPC_TLS_KEY. */
export function grpcTlsFromSettings(c: { GRPC_TLS_CA: string; GRPC_TLS_CERT: string; GRPC_TLS_KEY: string }): GrpcTls | undefined {
  return loadGrpcTls({ ca: c.GRPC_TLS_CA, cert: c.GRPC_TLS_CERT, key: c.GRPC_TLS_KEY });
}
