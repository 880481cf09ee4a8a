// xmppctl: the admin CLI (like ejabberdctl register, unregister, change_password,
// registered_users, connected_users, kick_session, send_message, stats).
import { createClient, grpcTlsFromSettings, withAdminToken } from '@cx/grpc';
import { authv1, routeradminv1, sessionv1 } from '@cx/proto';
import { loadConfigOrExit } from '@cx/runtime';
import { run, usage, UsageError } from './commands';
import { xmppctlConfig } from './config';
import { uploadAdmin } from './upload-admin';

const config = loadConfigOrExit('xmppctl', xmppctlConfig);

let tls;
try {
  tls = grpcTlsFromSettings(config);
} catch (err) {
  process.stderr.write(`xmppctl: ${(err as Error).message}\n`);
  process.exit(78);
}
// The admin ports; the token (ADMIN_TOKEN) with every call when set.
const options = { interceptors: config.ADMIN_TOKEN ? [withAdminToken(config.ADMIN_TOKEN)] : [] };
const auth = createClient(authv1.AuthServiceClient, config.AUTH_ADDR, options, tls);
const session = createClient(sessionv1.SessionServiceClient, config.SESSION_ADDR, options, tls);
const router = createClient(routeradminv1.RouterAdminServiceClient, config.ROUTER_ADDR, options, tls);

const upload = uploadAdmin(config.UPLOAD_ADMIN_URL, config.ADMIN_TOKEN);

run(process.argv.slice(2), { domain: config.XMPP_DOMAIN, auth, session, router, upload })
  .then(
    (out) => {
      for (const l of out.lines) process.stdout.write(`${l}\n`);
      process.exitCode = out.code;
    },
    (err) => {
      if (err instanceof UsageError) process.stderr.write(`${usage}\n`);
      else process.stderr.write(`xmppctl: ${(err as Error).message}\n`);
      process.exitCode = 2;
    },
  )
  .finally(() => {
    auth.close();
    session.close();
    router.close();
  });
