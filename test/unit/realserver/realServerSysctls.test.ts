import { describe, expect, it } from 'vitest';
import { realServerSysctlRules } from '../../../src/realserver/podNetwork.js';

describe('real-server sysctl rules', () => {
  it('covers all and every interface given, with arp_ignore 1 (2 accepted) and arp_announce 2', () => {
    const rules = realServerSysctlRules(['eth0', 'net1']);
    expect(rules.map((r) => [r.key, r.want, r.accept])).toEqual([
      ['net/ipv4/conf/all/arp_ignore', '1', ['1', '2']],
      ['net/ipv4/conf/all/arp_announce', '2', undefined],
      ['net/ipv4/conf/eth0/arp_ignore', '1', ['1', '2']],
      ['net/ipv4/conf/eth0/arp_announce', '2', undefined],
      ['net/ipv4/conf/net1/arp_ignore', '1', ['1', '2']],
      ['net/ipv4/conf/net1/arp_announce', '2', undefined],
    ]);
  });
});
