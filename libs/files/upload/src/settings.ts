// The settings the routers (slots) and the upload service (PUT, GET) share:
// give both the same values (one config file's top level, or the same
// environment). UPLOAD_SECRET signs slots: without it the router's upload
// module offers no service.
import { int, str } from '@cx/config';

export const uploadSharedSettings = {
  UPLOAD_SECRET: str(
    '',
    'HMAC key that signs upload slots (XEP-0363), shared by the routers and the upload service (a secret: from a Kubernetes Secret); empty: no upload service is offered',
  ),
  UPLOAD_PUBLIC_URL: str('http://127.0.0.1:5290', 'Base URL clients reach the upload service at (the PUT and GET URLs of slots start with it)'),
  UPLOAD_MAX_FILE_SIZE: int(100 * 1024 * 1024, 'Largest file a slot is given for, in bytes (XEP-0363 max-file-size); larger requests get file-too-large', 1),
  UPLOAD_QUOTA_BYTES: int(1024 * 1024 * 1024, 'Bytes of files one account may hold; a slot beyond it gets resource-constraint (0: no quota)', 0),
  UPLOAD_SLOT_TTL_S: int(300, 'Seconds a slot’s PUT URL stays valid', 10, 86400),
};
