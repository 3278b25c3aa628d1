import { describe, expect, it } from 'vitest';
import type { VirtualServer } from '../../../src/kube/virtualServer.js';
import {
  desiredRealServerConfig,
  formatRealServerConfig,
  parseRealServerConfig,
  podRealServerConfig,
  RealServerConfigError,
} from '../../../src/realserver/realServerConfig.js';
import { redirectRuleset } from '../../../src/realserver/redirectRuleset.js';

const vs = (vip: string | undefined, ports: VirtualServer['spec']['ports']): VirtualServer => ({
  apiVersion: 'tsvs.io/v1alpha1',
  kind: 'VirtualServer',
  metadata: { name: 'x', namespace: 'ns' },
  spec: { forwardingMethod: 'DR', ports, realServers: { serviceName: 'x' } },
  ...(vip !== undefined && { status: { vip } }),
});

describe('real-server configuration', () => {
  it('takes every allocated VIP and a redirect for each port whose targetPort differs', () => {
    const config = desiredRealServerConfig([
      vs('fd00:0:0::10', [{ protocol: 'UDP', port: 53, targetPort: 5353, scheduler: 'mh' }]),
      vs('10.0.0.1', [
        { protocol: 'TCP', port: 80, targetPort: 8080, scheduler: 'mh' },
        { protocol: 'TCP', port: 443, targetPort: 443, scheduler: 'mh' },
        { protocol: 'TCP', port: 22, scheduler: 'mh' },
      ]),
      vs(undefined, [{ protocol: 'TCP', port: 81, targetPort: 8181, scheduler: 'mh' }]),
    ]);
    expect(config).toEqual({
      vips: ['10.0.0.1', 'fd00::10'],
      redirects: [
        { vip: '10.0.0.1', protocol: 'tcp', port: 80, targetPort: 8080 },
        { vip: 'fd00::10', protocol: 'udp', port: 53, targetPort: 5353 },
      ],
    });
  });

  it('formats canonically: sorted, deduplicated, addresses in canonical form', () => {
    const a = formatRealServerConfig({ vips: ['fd00::1', '10.0.0.2', '10.0.0.1', '10.0.0.2'], redirects: [] });
    const b = formatRealServerConfig({ vips: ['10.0.0.1', 'FD00:0::1', '10.0.0.2'], redirects: [] });
    expect(a).toBe(b);
    expect(JSON.parse(a)).toEqual({ vips: ['10.0.0.1', '10.0.0.2', 'fd00::1'], redirects: [] });
  });

  it('round-trips through the annotation text', () => {
    const config = { vips: ['10.0.0.1'], redirects: [{ vip: '10.0.0.1', protocol: 'tcp' as const, port: 80, targetPort: 8080 }] };
    expect(parseRealServerConfig(formatRealServerConfig(config))).toEqual(config);
  });

  it('refuses bad input with a typed error that says what is wrong', () => {
    expect(() => parseRealServerConfig('{')).toThrow(RealServerConfigError);
    expect(() => parseRealServerConfig('{"vips":["nope"]}')).toThrow(/vips.0: 'nope' is not an IP address/);
    expect(() => parseRealServerConfig('{"vips":[],"redirects":[{"vip":"10.0.0.1","protocol":"tcp","port":0,"targetPort":1}]}')).toThrow(/redirects.0.port/);
    expect(() => parseRealServerConfig('{"vips":[],"redirects":[{"vip":"10.0.0.1","protocol":"icmp","port":1,"targetPort":1}]}')).toThrow(/protocol/);
  });

  it("reads a pod's annotation, and treats a missing or invalid one as none", () => {
    expect(podRealServerConfig(undefined)).toBeUndefined();
    expect(podRealServerConfig({ 'tsvs.io/realserver': 'garbage' })).toBeUndefined();
    expect(podRealServerConfig({ 'tsvs.io/realserver': '{"vips":[]}' })).toEqual({ vips: [], redirects: [] });
  });
});

describe('nftables redirect ruleset', () => {
  it('replaces our table atomically with one DNAT rule per redirect, keeping the VIP as destination', () => {
    expect(
      redirectRuleset([
        { vip: '10.0.0.1', protocol: 'tcp', port: 80, targetPort: 8080 },
        { vip: 'fd00::1', protocol: 'udp', port: 53, targetPort: 5353 },
      ]),
    ).toBe(
      [
        'add table inet tsvs_realserver',
        'delete table inet tsvs_realserver',
        'table inet tsvs_realserver {',
        '  chain prerouting {',
        '    type nat hook prerouting priority dstnat; policy accept;',
        '    ip daddr 10.0.0.1 tcp dport 80 dnat ip to 10.0.0.1:8080',
        '    ip6 daddr fd00::1 udp dport 53 dnat ip6 to [fd00::1]:5353',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('with no redirects only removes the table (whether or not it exists)', () => {
    expect(redirectRuleset([])).toBe('add table inet tsvs_realserver\ndelete table inet tsvs_realserver\n');
  });
});
