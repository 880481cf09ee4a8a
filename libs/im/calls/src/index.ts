// Calls and proxies (docs/architecture.md, "Calls and proxies"): XEP-0215
// external services with coturn REST credentials, and the XEP-0065 SOCKS5
// bytestreams proxy's relay.
export { turnCredentials, turnPassword, type TurnCredentials } from './turn-credentials';
export {
  credentialsAnswer,
  NS_EXTDISCO,
  parseService,
  servicesAnswer,
  SERVICE_TYPES,
  type ExtdiscoOptions,
  type ExternalService,
  type ServiceType,
} from './services';
export { connectReply, readConnect, readGreeting, SOCKS5_REPLY, streamHash } from './socks5';
export { Proxy65, type ActivateResult, type Proxy65Events, type Proxy65Options, type StreamDirectory } from './proxy65';
