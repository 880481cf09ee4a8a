// XEP-0128 Service Discovery Extensions: a data form (XEP-0004) of type
// result, identified by its FORM_TYPE, added to a disco#info answer. Modules
// contribute them to a hosted address (ServerModule.forms) as they do
// features: the contact addresses (XEP-0157) today, an upload service's
// max-file-size and a room's muc#roominfo later.
import { NS, x, type Element } from '@cx/xmpp-core';

export interface InfoField {
  readonly var: string;
  /** XEP-0004 field type ('list-multi', 'text-single', …); absent: none said. */
  readonly type?: string;
  readonly values: readonly string[];
}

export interface InfoForm {
  /** The FORM_TYPE (XEP-0068), sent as a hidden field. */
  readonly formType: string;
  readonly fields: readonly InfoField[];
}

/** `<x xmlns='jabber:x:data' type='result'>` with the FORM_TYPE first. */
export function formElement(form: InfoForm): Element {
  return x(
    'x',
    { xmlns: NS.DATA, type: 'result' },
    x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, form.formType)),
    ...form.fields.map((f) => x('field', { var: f.var, type: f.type }, ...f.values.map((v) => x('value', {}, v)))),
  );
}
