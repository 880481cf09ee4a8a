// What the edge advertises before authentication follows the auth service:
// its mechanisms (which follow its backend's capabilities) and whether
// registration is open. Read at start (waiting for auth) and refreshed.
import { call } from '@cx/grpc';
import type { Logger } from '@cx/log';
import type { authv1 } from '@cx/proto';

export interface Offer {
  domain: string;
  mechanisms: string[];
  registrationOpen: boolean;
}

const REFRESH_MS = 30_000;

async function fetchOffer(auth: authv1.AuthServiceClient, domain: string): Promise<{ mechanisms: string[]; open: boolean }> {
  const mechs = await call(auth.listMechanisms.bind(auth), { domain, secure: false }, 5000);
  const reg = await call(auth.getRegistrationInfo.bind(auth), { domain }, 5000);
  return { mechanisms: mechs.mechanisms, open: reg.open };
}

export async function watchAuthOffer(auth: authv1.AuthServiceClient, offer: Offer, log: Logger): Promise<() => void> {
  const apply = (o: { mechanisms: string[]; open: boolean }) => {
    offer.mechanisms = o.mechanisms;
    offer.registrationOpen = o.open;
  };
  for (let attempt = 1; ; attempt++) {
    try {
      apply(await fetchOffer(auth, offer.domain));
      break;
    } catch (err) {
      if (attempt % 10 === 1) log.warn({ err: (err as Error).message }, 'waiting for the auth service');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const timer = setInterval(() => {
    fetchOffer(auth, offer.domain).then(apply, (err) => log.warn({ err: err.message }, 'could not refresh mechanisms'));
  }, REFRESH_MS);
  return () => clearInterval(timer);
}
