// XEP-0202 Entity Time: the server's clock in UTC (XEP-0082 profile).
import { x } from '@cx/xmpp-core';
import { defineModule } from '../host';

const NS_TIME = 'urn:xmpp:time';

export function utcNow(now = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const time = defineModule({
  name: 'time',
  spec: 'XEP-0202',
  features: [NS_TIME],
  handlers: {
    'iq-get/host/urn:xmpp:time:time': () => x('time', { xmlns: NS_TIME }, x('tzo', {}, '+00:00'), x('utc', {}, utcNow())),
  },
});
