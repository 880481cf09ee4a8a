// Mutual TLS between the services: every server presents its certificate and
// requires a client certificate signed by the same CA; every client presents
// its certificate and verifies the server's (its name must be the host of the
// address dialled: auth, session, router in Kubernetes). Files in PEM
// (GRPC_TLS_CA, GRPC_TLS_CERT, GRPC_TLS_KEY; none set: plaintext), checked at
// start and read again every refreshMs, so a renewed certificate (cert-manager,
// a rotated Secret) is used for new connections without a restart.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { credentials, experimental, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';

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
  /** Where they came from, watched for renewals (absent: these bytes for good). */
  files?: GrpcTlsFiles;
  refreshMs?: number;
}

/** Read and check the files; undefined when none is set (plaintext), an error naming what is wrong otherwise. */
export function loadGrpcTls(files: GrpcTlsFiles, refreshMs = 60_000): GrpcTls | undefined {
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
  return { ...tls, files, refreshMs };
}

// One watcher per set of files in a process, shared by its servers and clients.
const watchers = new Map<string, experimental.FileWatcherCertificateProvider>();

function watcher(files: GrpcTlsFiles, refreshMs: number): experimental.FileWatcherCertificateProvider {
  const id = JSON.stringify([files.ca, files.cert, files.key, refreshMs]);
  let w = watchers.get(id);
  if (!w)
    watchers.set(
      id,
      (w = new experimental.FileWatcherCertificateProvider({
        caCertificateFile: files.ca,
        certificateFile: files.cert,
        privateKeyFile: files.key,
        refreshIntervalMs: refreshMs,
      })),
    );
  return w;
}

/** Resolves once watched files have been read (a server accepts TLS connections from then on). */
export function tlsReady(tls: GrpcTls | undefined): Promise<void> {
  if (!tls?.files) return Promise.resolve();
  const w = watcher(tls.files, tls.refreshMs ?? 60_000);
  return new Promise((resolve) => {
    const seen = (update: unknown) => {
      if (!update) return;
      w.removeIdentityCertificateListener(seen);
      resolve();
    };
    w.addIdentityCertificateListener(seen);
  });
}

/** Server side: present our certificate, require and verify the client's. */
export function serverCredentials(tls: GrpcTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  if (tls.files) {
    const w = watcher(tls.files, tls.refreshMs ?? 60_000);
    return experimental.createCertificateProviderServerCredentials(w, w, true);
  }
  return ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}

/** Client side: verify the server against the CA, present our certificate. */
export function channelCredentials(tls: GrpcTls | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  if (tls.files) {
    const w = watcher(tls.files, tls.refreshMs ?? 60_000);
    return experimental.createCertificateProviderChannelCredentials(w, w);
  }
  return credentials.createSsl(tls.ca, tls.key, tls.cert);
}

/** loadGrpcTls from the shared settings GRPC_TLS_CA, GRPC_TLS_CERT, GRPC_TLS_KEY. */
export function grpcTlsFromSettings(c: { GRPC_TLS_CA: string; GRPC_TLS_CERT: string; GRPC_TLS_KEY: string }): GrpcTls | undefined {
  return loadGrpcTls({ ca: c.GRPC_TLS_CA, cert: c.GRPC_TLS_CERT, key: c.GRPC_TLS_KEY });
}
