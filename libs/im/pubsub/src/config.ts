// XEP-0060 §16.4.4 node configuration (pubsub#node_config) as PEP uses it
// (XEP-0163, XEP-0223): the fields clients set, their defaults (Prosody's),
// the form they read and submit, and the publish-options precondition.
import { x, type Element } from '@cx/xmpp-core';
import { NS_DATA, NS_NODE_CONFIG, NS_PUBLISH_OPTIONS } from './ns';

export const ACCESS_MODELS = ['open', 'presence', 'roster', 'whitelist'] as const;
export type AccessModel = (typeof ACCESS_MODELS)[number];
export const SEND_LAST = ['never', 'on_sub', 'on_sub_and_presence'] as const;
export type SendLast = (typeof SEND_LAST)[number];

export interface NodeConfig {
  accessModel: AccessModel;
  /** Items kept; 'max': as many as the server allows (PEP_MAX_ITEMS). */
  maxItems: number | 'max';
  persistItems: boolean;
  sendLastPublishedItem: SendLast;
  notifyRetract: boolean;
  notifyDelete: boolean;
  deliverPayloads: boolean;
  deliverNotifications: boolean;
  /** roster access model: the owner's roster groups allowed (none: every contact with a subscription). */
  rosterGroupsAllowed: string[];
  title: string;
}

export const DEFAULT_CONFIG: NodeConfig = {
  accessModel: 'presence',
  maxItems: 1,
  persistItems: true,
  sendLastPublishedItem: 'on_sub_and_presence',
  notifyRetract: true,
  notifyDelete: true,
  deliverPayloads: true,
  deliverNotifications: true,
  rosterGroupsAllowed: [],
  title: '',
};

/** A value a client sent that this server cannot take (→ not-acceptable / precondition-not-met). */
export class ConfigError extends Error {}

type Fields = Map<string, string[]>;

/** The fields of a submitted jabber:x:data form (FORM_TYPE left out). */
export function formFields(form: Element | undefined): Fields {
  const out: Fields = new Map();
  if (!form) return out;
  for (const f of form.getChildren('field')) {
    const v = f.attrs.var as string | undefined;
    if (!v || v === 'FORM_TYPE') continue;
    out.set(
      v,
      f.getChildren('value').map((e) => e.getText()),
    );
  }
  return out;
}

/** The jabber:x:data form inside `el` (a <configure/> or <publish-options/>). */
export function dataForm(el: Element | undefined): Element | undefined {
  return el?.getChild('x', NS_DATA);
}

function bool(v: string, field: string): boolean {
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw new ConfigError(`${field}: not a boolean: ${v}`);
}

function oneOf<T extends string>(v: string, allowed: readonly T[], field: string): T {
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(`${field}: ${v} is not supported (${allowed.join(', ')})`);
}

function maxItems(v: string, cap: number): number | 'max' {
  if (v === 'max') return 'max';
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1) throw new ConfigError(`pubsub#max_items: not a positive integer or max: ${v}`);
  if (n > cap) throw new ConfigError(`pubsub#max_items: at most ${cap} (or max)`);
  return n;
}

/** Apply submitted fields to a configuration; unknown fields are ignored (XEP-0060 §8.2.4 lets a service do so). */
export function applyFields(base: NodeConfig, fields: Fields, cap: number): NodeConfig {
  const c: NodeConfig = { ...base, rosterGroupsAllowed: [...base.rosterGroupsAllowed] };
  for (const [name, values] of fields) {
    const v = values[0] ?? '';
    const field = name.startsWith('pubsub#') ? name.slice(7) : name;
    switch (field) {
      case 'access_model':
        c.accessModel = oneOf(v, ACCESS_MODELS, name);
        break;
      case 'max_items':
        c.maxItems = maxItems(v, cap);
        break;
      case 'persist_items':
        c.persistItems = bool(v, name);
        break;
      case 'send_last_published_item':
        c.sendLastPublishedItem = oneOf(v, SEND_LAST, name);
        break;
      case 'notify_retract':
        c.notifyRetract = bool(v, name);
        break;
      case 'notify_delete':
        c.notifyDelete = bool(v, name);
        break;
      case 'deliver_payloads':
        c.deliverPayloads = bool(v, name);
        break;
      case 'deliver_notifications':
        c.deliverNotifications = bool(v, name);
        break;
      case 'roster_groups_allowed':
        c.rosterGroupsAllowed = values;
        break;
      case 'title':
        c.title = v;
        break;
      default:
    }
  }
  return c;
}

/** The value of a field in this configuration as a form carries it (undefined: a field we do not know). */
export function fieldValue(c: NodeConfig, name: string): string[] | undefined {
  const field = name.startsWith('pubsub#') ? name.slice(7) : name;
  const b = (v: boolean) => [v ? '1' : '0'];
  switch (field) {
    case 'access_model':
      return [c.accessModel];
    case 'max_items':
      return [String(c.maxItems)];
    case 'persist_items':
      return b(c.persistItems);
    case 'send_last_published_item':
      return [c.sendLastPublishedItem];
    case 'notify_retract':
      return b(c.notifyRetract);
    case 'notify_delete':
      return b(c.notifyDelete);
    case 'deliver_payloads':
      return b(c.deliverPayloads);
    case 'deliver_notifications':
      return b(c.deliverNotifications);
    case 'roster_groups_allowed':
      return c.rosterGroupsAllowed;
    case 'title':
      return [c.title];
    default:
      return undefined;
  }
}

/**
 * XEP-0223 §2.2 / XEP-0060 §7.1.5: the publish-options of a publish to an
 * existing node must match its configuration; the first field that does not
 * is returned (undefined: they match). Unknown fields are not compared.
 */
export function preconditionMismatch(c: NodeConfig, fields: Fields, cap: number): string | undefined {
  let wanted: NodeConfig;
  try {
    wanted = applyFields(c, fields, cap);
  } catch (err) {
    return (err as Error).message;
  }
  for (const name of fields.keys()) {
    const have = fieldValue(c, name);
    if (have === undefined) continue;
    if (JSON.stringify(fieldValue(wanted, name)) !== JSON.stringify(have)) return name;
  }
  return undefined;
}

const opt = (label: string, value: string) => x('option', { label }, x('value', {}, value));

/** The node_config form of a configuration (XEP-0060 §8.2.1). */
export function configForm(c: NodeConfig, type: 'form' | 'result' = 'form'): Element {
  const f = (v: string, t: string, label: string, values: string[], ...options: Element[]) =>
    x('field', { var: `pubsub#${v}`, type: t, label }, ...options, ...values.map((val) => x('value', {}, val)));
  return x(
    'x',
    { xmlns: NS_DATA, type },
    x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, NS_NODE_CONFIG)),
    f('title', 'text-single', 'A friendly name for the node', [c.title]),
    f('deliver_notifications', 'boolean', 'Whether to deliver event notifications', fieldValue(c, 'deliver_notifications')!),
    f('deliver_payloads', 'boolean', 'Whether to deliver payloads with event notifications', fieldValue(c, 'deliver_payloads')!),
    f('notify_delete', 'boolean', 'Notify subscribers when the node is deleted', fieldValue(c, 'notify_delete')!),
    f('notify_retract', 'boolean', 'Notify subscribers when items are removed from the node', fieldValue(c, 'notify_retract')!),
    f('persist_items', 'boolean', 'Persist items to storage', fieldValue(c, 'persist_items')!),
    f('max_items', 'text-single', 'Max number of items to persist (or max)', [String(c.maxItems)]),
    f('access_model', 'list-single', 'Specify the subscriber model', [c.accessModel], ...ACCESS_MODELS.map((m) => opt(m, m))),
    f('roster_groups_allowed', 'list-multi', 'Roster groups allowed to subscribe', c.rosterGroupsAllowed),
    f('send_last_published_item', 'list-single', 'When to send the last published item', [c.sendLastPublishedItem], ...SEND_LAST.map((m) => opt(m, m))),
  );
}

/** Is this the publish-options form (FORM_TYPE publish-options), or no form type at all? */
export function isPublishOptions(form: Element | undefined): boolean {
  if (!form) return false;
  const ft = form.getChildren('field').find((f) => f.attrs.var === 'FORM_TYPE');
  const v = ft?.getChildText('value');
  return v === undefined || v === NS_PUBLISH_OPTIONS;
}
