import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { TableEntry } from '../../../src/ipvs/types.js';
import { createSpeakerMetrics } from '../../../src/metrics/speakerMetrics.js';
import { ipvsStats, maglevService } from '../../support/ipvsFixtures.js';

const stats = (connections: number) => ipvsStats({ connections: BigInt(connections), packetsIn: 10n, bytesIn: 1000n });

const entry: TableEntry = {
  ...maglevService('192.0.2.10'),
  stats: stats(7),
  destinations: [
    { address: '10.0.1.5', port: 80, forwarding: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0, activeConnections: 2, inactiveConnections: 0, persistentConnections: 0, stats: stats(5) },
    { address: '10.0.2.5', port: 80, forwarding: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0, activeConnections: 1, inactiveConnections: 0, persistentConnections: 0, stats: stats(2) },
  ],
};

describe('speaker metrics', () => {
  it('exposes the last IPVS dump per virtual service and real server, named by VirtualServer and pod', async () => {
    const registry = new Registry();
    const metrics = createSpeakerMetrics(registry);
    metrics.setIpvsStats({ table: [entry], owners: new Map([['tcp/192.0.2.10/80', 'app/web']]), pods: new Map([['10.0.1.5', 'web-a']]) });
    const text = await registry.metrics();
    const service = 'namespace="app",virtualserver="web",vip="192.0.2.10",port="80",protocol="tcp"';
    expect(text).toContain(`tsvs_speaker_ipvs_service_connections_total{${service}} 7`);
    expect(text).toContain(`tsvs_speaker_ipvs_service_bytes_in_total{${service}} 1000`);
    expect(text).toContain(`tsvs_speaker_ipvs_real_server_connections_total{${service},real_server="10.0.1.5:80",pod="web-a"} 5`);
    expect(text).toContain(`tsvs_speaker_ipvs_real_server_connections_total{${service},real_server="10.0.2.5:80",pod=""} 2`);
    expect(text).toContain(`tsvs_speaker_ipvs_real_server_active_connections{${service},real_server="10.0.1.5:80",pod="web-a"} 2`);
  });

  it('forgets services that are gone from the next dump', async () => {
    const registry = new Registry();
    const metrics = createSpeakerMetrics(registry);
    metrics.setIpvsStats({ table: [entry], owners: new Map(), pods: new Map() });
    expect(await registry.metrics()).toContain('tsvs_speaker_ipvs_service_connections_total{');
    metrics.setIpvsStats({ table: [], owners: new Map(), pods: new Map() });
    expect(await registry.metrics()).not.toContain('tsvs_speaker_ipvs_service_connections_total{');
  });
});
