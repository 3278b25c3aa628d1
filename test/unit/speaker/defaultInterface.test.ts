import { describe, expect, it } from 'vitest';
import { ipv4DefaultInterface, ipv6DefaultInterface } from '../../../src/speaker/defaultInterface.js';

describe('ipv4DefaultInterface', () => {
  const header = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';
  it('takes the default route with the lowest metric', () => {
    const table = `${header}eth1\t00000000\t0101A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\neth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\neth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n`;
    expect(ipv4DefaultInterface(table)).toBe('eth0');
  });

  it('ignores routes that are down or not default', () => {
    expect(ipv4DefaultInterface(`${header}eth0\t00000000\t0102A8C0\t0002\t0\t0\t100\t00000000\t0\t0\t0\n`)).toBeUndefined();
    expect(ipv4DefaultInterface(`${header}eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n`)).toBeUndefined();
    expect(ipv4DefaultInterface('')).toBeUndefined();
  });
});

describe('ipv6DefaultInterface', () => {
  const zero = '0'.repeat(32);
  it('takes the default route with the lowest metric, never the unreachable one on lo', () => {
    const table = [
      `${zero} 00 ${zero} 00 ${zero} ffffffff 00000001 00000000 00200200       lo`,
      `${zero} 00 ${zero} 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     bond0`,
      `${zero} 00 ${zero} 00 fe800000000000000000000000000002 00000100 00000001 00000000 00000003     eth9`,
      `20010db8000000000000000000000000 40 ${zero} 00 ${zero} 00000100 00000001 00000000 00000001     eth0`,
    ].join('\n');
    expect(ipv6DefaultInterface(table)).toBe('eth9');
    expect(ipv6DefaultInterface(table.split('\n')[0]!)).toBeUndefined();
  });
});
