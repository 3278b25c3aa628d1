import { describe, expect, it } from 'vitest';
import { checkPools } from '../../../src/controllers/ipam/pools.js';
import { VipAllocator, type AllocationRequest } from '../../../src/controllers/ipam/vipAllocator.js';
import { pool } from './fixtures.js';

function allocator(...pools: Parameters<typeof pool>[]) {
  return new VipAllocator(checkPools(pools.map((p) => pool(...p)), { nodeAddresses: [], serviceCidrs: [] }).usable);
}

function request(key: string, extra: Partial<AllocationRequest> = {}): AllocationRequest {
  return { key, ports: ['TCP/80'], namespaceLabels: {}, family: 'IPv4', ...extra };
}

describe('VipAllocator', () => {
  it('hands out the first free address, one per VirtualServer, and the same again on repeat', () => {
    const a = allocator(['p', { addresses: ['192.0.2.0/30'] }]);
    expect(a.allocate(request('ns/a'))).toEqual({ ok: true, ip: '192.0.2.0', pool: 'p', changed: true });
    expect(a.allocate(request('ns/b'))).toMatchObject({ ok: true, ip: '192.0.2.1' });
    expect(a.allocate(request('ns/a'))).toEqual({ ok: true, ip: '192.0.2.0', pool: 'p', changed: false });
  });

  it('reports exhaustion, and reuses a released address', () => {
    const a = allocator(['p', { addresses: ['192.0.2.0/31'] }]);
    a.allocate(request('ns/a'));
    a.allocate(request('ns/b'));
    expect(a.allocate(request('ns/c'))).toEqual({ ok: false, reason: 'PoolExhausted', message: 'no free IPv4 address in pool p' });
    expect(a.release('ns/a')).toBe('192.0.2.0');
    expect(a.allocate(request('ns/c'))).toMatchObject({ ok: true, ip: '192.0.2.0' });
  });

  it('gives a requested address, canonicalised, and refuses one outside every pool', () => {
    const a = allocator(['p', { addresses: ['2001:db8::/120'] }]);
    expect(a.allocate(request('ns/a', { family: 'IPv6', requestedIp: '2001:0db8::0010' }))).toMatchObject({ ok: true, ip: '2001:db8::10' });
    expect(a.allocate(request('ns/b', { family: 'IPv6', requestedIp: '2001:db8:1::1' }))).toMatchObject({ ok: false, reason: 'NotInPool' });
    expect(a.allocate(request('ns/c', { requestedIp: '2001:db8::11' }))).toMatchObject({ ok: false, reason: 'FamilyMismatch' });
    expect(a.allocate(request('ns/d', { requestedIp: 'nope' }))).toMatchObject({ ok: false, reason: 'InvalidAddress' });
  });

  it('refuses a requested address held by another without a common sharing key', () => {
    const a = allocator(['p', { addresses: ['192.0.2.0/29'] }]);
    a.allocate(request('ns/a', { requestedIp: '192.0.2.3' }));
    expect(a.allocate(request('ns/b', { requestedIp: '192.0.2.3', ports: ['TCP/443'] }))).toEqual({
      ok: false,
      reason: 'AddressInUse',
      message: 'address 192.0.2.3 is held by ns/a',
    });
  });

  it('shares an address between holders of one sharing key whose ports do not clash', () => {
    const a = allocator(['p', { addresses: ['192.0.2.0/29'] }]);
    const first = a.allocate(request('ns/web', { sharingKey: 'k', ports: ['TCP/80'] }));
    expect(a.allocate(request('ns/dns', { sharingKey: 'k', ports: ['UDP/53', 'TCP/53'] }))).toMatchObject({ ok: true, ip: (first as { ip: string }).ip });
    expect(a.allocate(request('ns/web2', { sharingKey: 'k', ports: ['TCP/80'] }))).toMatchObject({ ok: true, ip: '192.0.2.1' });
    expect(a.allocate(request('ns/other', { sharingKey: 'other', ports: ['TCP/8080'] }))).toMatchObject({ ok: true, ip: '192.0.2.2' });
    expect(a.holdersOf('192.0.2.0').map((h) => h.key)).toEqual(['ns/web', 'ns/dns']);
    expect(a.allocate(request('ns/clash', { sharingKey: 'k', ports: ['UDP/53'], requestedIp: '192.0.2.0' }))).toEqual({
      ok: false,
      reason: 'AddressInUse',
      message: 'address 192.0.2.0 is shared with ns/dns, which already serves UDP/53',
    });
    a.release('ns/web');
    expect(a.holdersOf('192.0.2.0').map((h) => h.key)).toEqual(['ns/dns']);
  });

  it('moves a holder whose ports now clash on its shared address', () => {
    const a = allocator(['p', { addresses: ['192.0.2.0/29'] }]);
    a.allocate(request('ns/a', { sharingKey: 'k', ports: ['TCP/80'] }));
    a.allocate(request('ns/b', { sharingKey: 'k', ports: ['TCP/443'] }));
    expect(a.allocate(request('ns/b', { sharingKey: 'k', ports: ['TCP/80'] }))).toMatchObject({ ok: true, ip: '192.0.2.1', changed: true });
  });

  it('uses only auto-assign pools unless a pool is named, and honours namespace selectors', () => {
    const a = allocator(
      ['manual', { addresses: ['10.0.0.0/30'], autoAssign: false }],
      ['team-a', { addresses: ['10.1.0.0/30'], namespaceSelector: { matchLabels: { team: 'a' } } }],
    );
    expect(a.allocate(request('x/a'))).toMatchObject({ ok: false, reason: 'NoPool' });
    expect(a.allocate(request('x/b', { namespaceLabels: { team: 'a' } }))).toMatchObject({ ok: true, ip: '10.1.0.0', pool: 'team-a' });
    expect(a.allocate(request('x/c', { pool: 'manual' }))).toMatchObject({ ok: true, ip: '10.0.0.0', pool: 'manual' });
    expect(a.allocate(request('x/d', { pool: 'team-a' }))).toMatchObject({ ok: false, reason: 'PoolNotAllowed' });
    expect(a.allocate(request('x/e', { pool: 'missing' }))).toMatchObject({ ok: false, reason: 'PoolNotFound' });
    expect(a.allocate(request('x/f', { pool: 'manual', requestedIp: '10.1.0.1', namespaceLabels: { team: 'a' } }))).toMatchObject({ ok: false, reason: 'NotInPool' });
    expect(a.allocate(request('x/g', { family: 'IPv6', pool: 'manual' }))).toMatchObject({ ok: false, reason: 'NoPool' });
  });

  it('restores allocations read back from status exactly, before allocating new ones', () => {
    const a = allocator(['p', { addresses: ['192.0.2.0/29'] }]);
    expect(a.restore({ key: 'ns/old', ports: ['TCP/80'] }, '192.0.2.0')).toMatchObject({ ok: true, ip: '192.0.2.0' });
    expect(a.restore({ key: 'ns/old2', ports: ['TCP/80'] }, '192.0.2.2')).toMatchObject({ ok: true });
    expect(a.restore({ key: 'ns/dup', ports: ['TCP/80'] }, '192.0.2.2')).toMatchObject({ ok: false, reason: 'AddressInUse' });
    expect(a.allocate(request('ns/new'))).toMatchObject({ ip: '192.0.2.1' });
    expect(a.allocate(request('ns/new2'))).toMatchObject({ ip: '192.0.2.3' });
    expect(a.allocate(request('ns/old'))).toMatchObject({ ip: '192.0.2.0', changed: false });
  });

  it('keeps IPv4 and IPv6 apart even when their numbers are equal', () => {
    const a = allocator(['p', { addresses: ['0.0.0.1-0.0.0.2', '::1-::2'] }]);
    a.allocate(request('ns/v4'));
    expect(a.allocate(request('ns/v6', { family: 'IPv6' }))).toMatchObject({ ok: true, ip: '::1' });
    expect(a.usedIn(checkPools([pool('p', { addresses: ['0.0.0.1-0.0.0.2', '::1-::2'] })], { nodeAddresses: [], serviceCidrs: [] }).usable[0]!, 'IPv6')).toBe(1);
  });

  it('allocates 5000 addresses in order without rescanning', () => {
    const a = allocator(['big', { addresses: ['10.0.0.0/16'] }]);
    for (let i = 0; i < 5000; i++) a.allocate(request(`ns/s${i}`));
    expect(a.ipOf('ns/s4999')).toBe('10.0.19.135');
    a.release('ns/s10');
    expect(a.allocate(request('ns/next'))).toMatchObject({ ip: '10.0.0.10' });
  });
});
