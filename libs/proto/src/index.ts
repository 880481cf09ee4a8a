// Public surface of the generated service contracts (see proto/ and buf.gen.yaml).
// Regenerate with `nx run proto:generate`; `nx run proto:check` fails on drift.
export * as authv1 from './gen/xmpp/auth/v1/auth';
export * as accountv1 from './gen/xmpp/auth/v1/account';
export * as sessionv1 from './gen/xmpp/session/v1/session';
export * as routerv1 from './gen/xmpp/router/v1/router';
export * as routeradminv1 from './gen/xmpp/router/v1/admin';
export * as edgev1 from './gen/xmpp/edge/v1/delivery';
export * as eventsv1 from './gen/xmpp/events/v1/events';
export * as healthv1 from './gen/grpc/health/v1/health';
export * as rosterv1 from './gen/xmpp/roster/v1/roster';
