import { commonSettings, defineConfig, grpcServerSettings, int, oneOf, str } from '@cx/config';
import { uploadSharedSettings } from '@cx/upload';

export const uploadConfig = defineConfig({
  ...commonSettings,
  ...uploadSharedSettings,
  ADMIN_TOKEN: grpcServerSettings.ADMIN_TOKEN,
  UPLOAD_HOST: str('127.0.0.1', 'Address the upload HTTP listener binds (0.0.0.0 in containers, behind an Ingress or a TLS proxy)'),
  UPLOAD_PORT: int(5290, 'Port of the upload HTTP listener (PUT and GET of XEP-0363 slots)', 0, 65535),
  UPLOAD_ADMIN_PORT: int(
    5291,
    "Port of the upload service's admin HTTP calls (xmppctl upload-files, delete-upload-files; ADMIN_TOKEN when set), on UPLOAD_HOST's loopback only unless UPLOAD_ADMIN_HOST says",
    0,
    65535,
  ),
  UPLOAD_ADMIN_HOST: str('127.0.0.1', 'Address the admin listener binds (never exposed through the Ingress)'),
  UPLOAD_STORE: oneOf(
    ['nats', 's3'] as const,
    'nats',
    'Where files go: nats (JetStream object store xmpp_upload, replicated like the rest) or s3 (an S3-compatible bucket, UPLOAD_S3_*)',
  ),
  UPLOAD_STORE_MAX_BYTES: int(0, 'Bytes the object store bucket xmpp_upload may hold in JetStream (0: no bound)', 0),
  UPLOAD_S3_ENDPOINT: str('', 'S3 endpoint URL (https://s3.eu-west-1.amazonaws.com, http://minio:9000); required with UPLOAD_STORE=s3'),
  UPLOAD_S3_BUCKET: str('xmpp-upload', 'S3 bucket of the files (it must exist)'),
  UPLOAD_S3_REGION: str('us-east-1', 'S3 region'),
  UPLOAD_S3_ACCESS_KEY: str('', 'S3 access key id (empty: the SDK’s default credential chain, e.g. an IAM role)'),
  UPLOAD_S3_SECRET_KEY: str('', 'S3 secret access key (a secret: from a Kubernetes Secret)'),
  UPLOAD_RETENTION_DAYS: int(30, 'Days an uploaded file is kept; older ones are deleted by the sweep (0: kept until removed)', 0),
  UPLOAD_SWEEP_INTERVAL_S: int(3600, 'Seconds between sweeps (retention, and bytes no file entry names any more, e.g. of removed accounts)', 10),
  UPLOAD_MAX_TRANSFERS: int(256, 'PUTs and GETs one upload process serves at once; more get 503 with Retry-After', 1),
});

export type UploadConfig = ReturnType<typeof uploadConfig.load>;
