// A set of addresses and networks (`192.0.2.1`, `10.0.0.0/8`, `::1`, `fd00::/8`) that
// a peer address is matched against; an IPv4 peer of a dual-stack listener, shown as
// ::ffff:a.b.c.d, matches its IPv4 entries. `none` stands for the empty set.
import { BlockList, isIP } from 'node:net';
import { list, type Setting } from '@cx/config';

/** A comma-separated list setting of addresses and networks, checked when the config loads. */
export function addressList(def: string[], description: string): Setting<string[]> {
  const base = list(def, description);
  return {
    ...base,
    parse: (raw) => {
      const entries = base.parse(raw);
      new AddressSet(entries);
      return entries;
    },
  };
}

export class AddressSet {
  private readonly list = new BlockList();
  private empty = true;

  /** Throws on an entry that is neither an address nor a network. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      if (entry === 'none') continue;
      const [addr = '', bits, extra] = entry.split('/');
      const family = isIP(addr);
      const prefix = Number(bits);
      const max = family === 6 ? 128 : 32;
      if (family === 0 || extra !== undefined || (bits !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max))) {
        throw new Error(`'${entry}' is not an IP address or network (address/prefix-length)`);
      }
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(addr, type);
      else this.list.addSubnet(addr, prefix, type);
      this.empty = false;
    }
  }

  has(ip: string): boolean {
    if (this.empty) return false;
    const v4 = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
    const family = isIP(v4);
    if (family === 0) return false;
    return this.list.check(v4, family === 6 ? 'ipv6' : 'ipv4');
  }
}
