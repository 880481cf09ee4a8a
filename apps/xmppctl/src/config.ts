import { configFileSetting, defineConfig, str } from '@cx/config';

export const xmppctlConfig = defineConfig({
  ...configFileSetting,
  XMPP_DOMAIN: str('localhost', 'The XMPP domain'),
  AUTH_ADDR: str('127.0.0.1:50051', 'Address of the auth service'),
  SESSION_ADDR: str('127.0.0.1:50052', 'Address of the session service'),
  ROUTER_ADDR: str('127.0.0.1:50053', 'Address of the router service (send)'),
});
