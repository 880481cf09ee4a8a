import { randomBytes } from 'node:crypto';
import { bool, commonSettings, defineConfig, int, list, oneOf, str } from '@cx/config';
import { addressList } from './address-set';
import { redirectSetting } from './shutdown';
import { contactSettings, routerModulesSetting } from '@cx/modules';
import { DEFAULT_MAX_ATTRIBUTES, DEFAULT_MAX_NAMESPACE_DECLARATIONS } from '@cx/xml-stream';

export const edgeConfig = defineConfig({
  ...commonSettings,
  EDGE_ID: str(`edge-${randomBytes(4).toString('hex')}`, 'Unique id of this edge process (default: random per start; use the pod name in Kubernetes)'),
  C2S_HOST: str('127.0.0.1', 'Address the client (c2s) listener binds (0.0.0.0 to accept remote clients)'),
  C2S_PORT: int(5222, 'TCP port for client connections (RFC 6120)', 0, 65535),
  AUTH_ADDR: str('127.0.0.1:50051', 'Address of the auth service'),
  SESSION_ADDR: str('127.0.0.1:50052', 'Address of the session service'),
  ROUTER_ADDR: str('127.0.0.1:50053', 'Address of the router service'),
  ROUTER_MODULES: routerModulesSetting('The router modules enabled, as the router has them: the caps (XEP-0115) the edge advertises are computed from them'),
  // XEP-0157 contact addresses, as the router has them: the caps hash covers them (XEP-0115 §5.4).
  ...contactSettings,
  TLS_CERT_FILE: str('', 'PEM certificate (chain) for STARTTLS and direct TLS; empty: no TLS'),
  TLS_KEY_FILE: str('', 'PEM private key of TLS_CERT_FILE'),
  C2S_TLS_PORT: int(5223, 'Direct TLS port (XEP-0368) when a certificate is set (0: off)', 0, 65535),
  REQUIRE_ENCRYPTION: oneOf(['auto', 'always', 'never'] as const, 'auto', 'Require TLS before authentication: auto = unless the listener is loopback'),
  ALLOW_PLAINTEXT_AUTH: bool(false, 'Offer PLAIN and DIGEST-MD5 on streams without TLS (WebSocket counts as encrypted when WS_PUBLIC_URL is wss://)'),
  WS_PORT: int(5280, 'WebSocket listener (RFC 7395) on /xmpp-websocket, with XEP-0156 host-meta (0: off)', 0, 65535),
  WS_PUBLIC_URL: str(
    '',
    'The ws:// or wss:// URL clients use, announced in host-meta (default ws://<domain>:<WS_PORT>/xmpp-websocket); put TLS in front for wss',
  ),
  AUTH_TIMEOUT_MS: int(60000, 'A connection that has not authenticated by then is closed with connection-timeout (0: never)', 0),
  PING_INTERVAL_MS: int(240000, 'After this long without a byte from a bound client, the server pings it (XEP-0199; 0: never)', 0),
  PING_TIMEOUT_MS: int(30000, 'A pinged client that sends nothing for this long is closed with connection-timeout', 1000),
  MAX_CONNECTIONS_PER_IP: int(256, 'Connections one address may hold on this edge; more are refused with policy-violation (0: no limit)', 0),
  MAX_CONNECTIONS_PER_IP_EXEMPT: addressList(
    ['127.0.0.1', '::1'],
    'Addresses and networks (a.b.c.d/n) MAX_CONNECTIONS_PER_IP does not apply to: a TLS terminator or proxy in front of the edge (loopback by default; none: no exemption)',
  ),
  WS_TRUSTED_PROXIES: addressList(
    [],
    'Reverse proxies (addresses, a.b.c.d/n) in front of the WebSocket listener whose X-Forwarded-For names the client, so per-address limits count clients, not the proxy (none by default)',
  ),
  MAX_AUTH_FAILURES_PER_IP: int(20, 'Failed authentications one address may make on this edge per AUTH_FAILURE_WINDOW_MS before it must wait (0: no limit)', 0),
  AUTH_FAILURE_WINDOW_MS: int(300000, 'The window of MAX_AUTH_FAILURES_PER_IP', 1000),
  MAX_STANZA_BYTES: int(262144, 'Largest stanza accepted; beyond it the stream is closed with policy-violation', 1024),
  PREAUTH_MAX_STANZA_BYTES: int(
    16384,
    'Largest stanza before authentication, in bytes and in estimated memory of the element being built; beyond it policy-violation',
    1024,
  ),
  MAX_XML_ATTRIBUTES: int(DEFAULT_MAX_ATTRIBUTES, 'Attributes one element may carry; more close the stream with policy-violation (0: no limit)', 0),
  MAX_XML_NAMESPACE_DECLARATIONS: int(
    DEFAULT_MAX_NAMESPACE_DECLARATIONS,
    'Prefixed namespace declarations one element may carry; more close the stream with policy-violation (0: no limit)',
    0,
  ),
  SHAPER_BYTES_PER_SEC: int(
    100000,
    'Traffic shaper: bytes a second one connection may send; over it the edge stops reading it until it is back under (0: off)',
    0,
  ),
  SHAPER_BURST_BYTES: int(200000, 'Traffic shaper: bytes a connection may send at once above the rate', 1),
  MAX_SEND_BUFFER_BYTES: int(1048576, 'Output a client may leave unread; beyond it the stream is closed with resource-constraint (0: no bound)', 0),
  SHUTDOWN_REDIRECT: redirectSetting(
    'On SIGTERM, send clients see-other-host with this host[:port] (another edge or the load balancer) instead of system-shutdown (empty: off)',
  ),
  MAX_AUTH_FAILURES: int(3, 'Failed SASL attempts allowed on one stream (RFC 6120 §6.4.5: 2 to 5)', 1, 5),
  MAX_AUTH_REFUSALS: int(
    10,
    'SASL attempts one stream may have refused because the mechanism or channel-binding type cannot be used on it (not counted in MAX_AUTH_FAILURES); beyond it the stream is closed with policy-violation',
    1,
    100,
  ),
  ROUTER_STREAMS: int(2, 'Long-lived Route streams to the router (spread over router replicas)', 1, 64),
  SESSION_STREAMS: int(2, 'Long-lived Sessions streams (bind, unbind) to the session service', 1, 64),
  AUTH_STREAMS: int(2, 'Long-lived SASL Exchange streams to the auth service', 1, 64),
  AUTH_SERVICE_TIMEOUT_MS: int(
    5000,
    'How long a SASL step or account request waits for the auth service; then the client gets temporary-auth-failure (or an error of type wait); once the service has been unreachable that long, at once',
    100,
    120000,
  ),
  SESSION_SERVICE_TIMEOUT_MS: int(
    5000,
    'How long bind, <enable/> and <resume/> wait for the session service; then the client gets an error of type wait (bind) or <failed/> (stream management); once the service has been unreachable that long, at once',
    100,
    120000,
  ),
  SM_ENABLED: bool(true, 'Offer stream management (XEP-0198) with resumption on any edge'),
  SM_HANDOVER_GRACE_MS: int(3000, 'After a resumption, how long the old place in the stream is still read for deliveries routers sent there', 0, 60000),
  SM_MAX_UNACKED_BYTES: int(
    1048576,
    'Bytes of stanzas a stream-managed client may leave unacknowledged (XEP-0198); beyond it the session ends with resource-constraint and they are routed again or stored offline',
    1024,
  ),
  CSI_MAX_BUFFER_BYTES: int(262144, 'Bytes held for an inactive client (XEP-0352); beyond it everything held is written out', 1024),
  COMPONENT_HOST: str('127.0.0.1', 'Address the external component (XEP-0114) listener binds (0.0.0.0 for components on other hosts)'),
  COMPONENT_PORT: int(
    5347,
    'TCP port for external components (XEP-0114, jabber:component:accept); only listened on when COMPONENTS names one (0: off)',
    0,
    65535,
  ),
  COMPONENTS: list(
    [],
    'External components (XEP-0114) this server accepts, as domain=secret items (a bare name is a subdomain of XMPP_DOMAIN: bot=s3cret is bot.<domain>); a secret, like NATS_PASSWORD',
  ),
  HEARTBEAT_INTERVAL_MS: int(5000, 'How often the edge refreshes its liveness entry in NATS', 500),
});

export type EdgeConfig = ReturnType<typeof edgeConfig.load>;
