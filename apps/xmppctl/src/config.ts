import { configFileSetting, defineConfig, grpcTlsSettings, str } from '@cx/config';

// The services' admin ports (AUTH_ADMIN_PORT…), not their data ports.
export const xmppctlConfig = defineConfig({
  ...configFileSetting,
  XMPP_DOMAIN: str('localhost', 'The XMPP domain'),
  AUTH_ADDR: str('127.0.0.1:50061', "Address of the auth service's admin port"),
  SESSION_ADDR: str('127.0.0.1:50062', "Address of the session service's admin port"),
  ROUTER_ADDR: str('127.0.0.1:50063', "Address of the router service's admin port (send)"),
  UPLOAD_ADMIN_URL: str('http://127.0.0.1:5291', "The upload service's admin listener (UPLOAD_ADMIN_PORT): upload-files, delete-upload-files"),
  ADMIN_TOKEN: str('', "Sent with every call when set (the services' ADMIN_TOKEN)"),
  ...grpcTlsSettings,
});
