// Against a real nats-server: DIGEST-MD5's HA1 (a password equivalent) is stored only while the
// mechanism is on; turned off, it is neither offered nor written, and an HA1 kept from before
// is removed at the next login or password change; turned on again, a PLAIN login restores it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { buckets, connectBus, encodeKey, type Bus } from '@cx/bus';
import { accountv1 } from '@cx/proto';
import { digestHa1 } from '@cx/sasl';
import { startNats } from '@cx/stack';
import { KvAccountStore } from './kv-store';

const dir = mkdtempSync(join(tmpdir(), 'kv-store-'));
let nats: Awaited<ReturnType<typeof startNats>>;
let bus: Bus;

beforeAll(async () => {
  nats = await startNats({ dataDir: dir });
  bus = await connectBus({ servers: nats.url, name: 'kv-store-spec', log: pino({ level: 'silent' }) });
}, 30_000);
afterAll(async () => {
  await bus.close();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

const open = (digestMd5: boolean) => KvAccountStore.open(bus, { domain: 'localhost', iterations: 4096, digestMd5 });

async function storedHa1(username: string): Promise<Buffer> {
  const e = await (await bus.bucket(buckets.accounts)).get(encodeKey(username));
  return Buffer.from(accountv1.Account.decode(e!.value).digestMd5Ha1);
}

describe('DIGEST-MD5 HA1 in the account store', () => {
  it('on: offered, stored with each password', async () => {
    const s = await open(true);
    expect(s.capabilities.has('digest-md5:ha1')).toBe(true);
    await s.create('ann', 'pw');
    expect(await storedHa1('ann')).toEqual(digestHa1('ann', 'localhost', 'pw'));
    expect(await s.getDigestHa1('ann')).toEqual(digestHa1('ann', 'localhost', 'pw'));
  });

  it('off: not offered, not stored for new passwords, and an old HA1 goes at the next login or password change', async () => {
    const on = await open(true);
    await on.create('bea', 'pw');
    await on.create('cid', 'pw');
    const off = await open(false);
    expect(off.capabilities.has('digest-md5:ha1')).toBe(false);
    expect(await off.getDigestHa1('bea')).toBeNull();
    await off.create('dan', 'pw');
    expect((await storedHa1('dan')).length).toBe(0);
    // bea logs in (any mechanism): her HA1 is removed; her password still works.
    expect((await storedHa1('bea')).length).toBe(16);
    await off.loggedIn('bea');
    expect((await storedHa1('bea')).length).toBe(0);
    expect(await off.testPassword('bea', 'pw')).toBe(true);
    // cid changes his password: the new record has no HA1.
    await off.setPassword('cid', 'new');
    expect((await storedHa1('cid')).length).toBe(0);
    expect(await off.testPassword('cid', 'new')).toBe(true);
  });

  it('on again: an account saved while it was off gets its HA1 back at its next PLAIN login', async () => {
    const off = await open(false);
    await off.create('eve', 'pw');
    const on = await open(true);
    expect(await on.getDigestHa1('eve')).toBeNull();
    expect(await on.testPassword('eve', 'wrong')).toBe(false);
    expect((await storedHa1('eve')).length).toBe(0);
    expect(await on.testPassword('eve', 'pw')).toBe(true);
    expect(await storedHa1('eve')).toEqual(digestHa1('eve', 'localhost', 'pw'));
  });
});
