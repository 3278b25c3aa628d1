import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VirtualServerStatus } from '../../../src/kube/virtualServer.js';
import { createSpeakerMetrics } from '../../../src/metrics/speakerMetrics.js';
import { defaultVrid } from '../../../src/speaker/desired/vrrpGroups.js';
import type { ProbeResult } from '../../../src/speaker/health/probes.js';
import { Speaker } from '../../../src/speaker/speaker.js';
import { StatusPublisher } from '../../../src/speaker/statusPublisher.js';
import { RecordingKernel } from '../../support/recordingKernel.js';
import { endpointSlice, node, virtualServer } from './desired/fixtures.js';

const vip = '192.0.2.10';
const vrid = defaultVrid(vip);

describe('Speaker', () => {
  let objects: { virtualServers: unknown[]; slices: ReturnType<typeof endpointSlice>[] };
  let kernel: RecordingKernel;
  let writes: Array<{ key: string; status: VirtualServerStatus }>;
  let logs: Array<Record<string, unknown>>;
  let probeResult: ProbeResult;
  let registry: Registry;
  let speaker: Speaker;
  let status: StatusPublisher;

  beforeEach(async () => {
    objects = {
      virtualServers: [virtualServer('web', { vip })],
      slices: [endpointSlice('web', [{ address: '10.0.1.5', node: 'n1' }, { address: '10.0.2.5', node: 'n2' }])],
    };
    writes = [];
    logs = [];
    probeResult = { passed: true, detail: 'fake' };
    registry = new Registry();
    const log = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
    status = new StatusPublisher(async (namespace, name, body) => writes.push({ key: `${namespace}/${name}`, status: body }), log);
    speaker = new Speaker(
      { nodeName: 'n1', defaultAdvertIntervalMs: 1000, resyncIntervalMs: 60_000, statsIntervalMs: 60_000 },
      {
        sources: { virtualServers: () => objects.virtualServers, endpointSlices: () => objects.slices, pods: () => [], nodes: () => [node('n1'), node('n2')] },
        createKernel: (hooks) => (kernel = new RecordingKernel(hooks)),
        status,
        metrics: createSpeakerMetrics(registry),
        log,
        probe: async () => probeResult,
      },
    );
    await speaker.start();
    await status.idle();
  });

  afterEach(async () => {
    await speaker.stop();
  });

  it('starts with tier 2 and its VRRP instance, logs speaker.started after the first pass, and reports itself as backup', () => {
    expect(kernel.started).toBe(true);
    expect(kernel.vrrp.at(-1)).toEqual({
      instances: [{ vrid, priority: expect.any(Number), advertIntervalMs: 1000, preempt: true, preemptDelayMs: 0, addresses: [vip], checksum: 'pseudo-header' }],
      heldWhileBackup: [vip],
    });
    expect(kernel.table.map((s) => s.destinations.map((d) => d.address))).toEqual([['10.0.1.5']]);
    const started = logs.findIndex((l) => l.event === 'speaker.started');
    expect(started).toBeGreaterThan(logs.findIndex((l) => l.event === 'ipvs.applied'));
    expect(writes).toEqual([{ key: 'app/web', status: { nodes: [{ name: 'n1', role: 'Backup', programmed: true, realServers: 1, message: expect.any(String) }] } }]);
  });

  it('switches to tier 1 on becoming master, from the cached objects alone, and measures the failover', async () => {
    kernel.transition(4, vrid, 'master');
    await speaker.settled();
    expect(kernel.table.map((s) => s.destinations.map((d) => d.address))).toEqual([['10.0.1.5', '10.0.2.5']]);
    expect(logs.filter((l) => l.event === 'vrrp.master-programmed')).toEqual([expect.objectContaining({ group: `4/${vrid}` })]);
    expect(await registry.getSingleMetricAsString('tsvs_speaker_failover_duration_seconds')).toContain('tsvs_speaker_failover_duration_seconds_count 1');
    expect(await registry.getSingleMetricAsString('tsvs_speaker_vrrp_state')).toContain(`tsvs_speaker_vrrp_state{family="IPv4",vrid="${vrid}"} 2`);
  });

  it("holds a new master's VIPs back only until a pass has handed over its tier-1 table", async () => {
    const ready = kernel.transition(4, vrid, 'master');
    expect(ready).toBeInstanceOf(Promise);
    const tableWhenReady = await ready!.then(() => kernel.table.map((s) => s.destinations.map((d) => d.address)));
    expect(tableWhenReady).toEqual([['10.0.1.5', '10.0.2.5']]);
    expect(kernel.transition(4, vrid, 'backup')).toBeUndefined();
  });

  it('reports its entry as Master, with every ready real server, and leaves masterNode to the controller', async () => {
    kernel.transition(4, vrid, 'master');
    await speaker.settled();
    await status.idle();
    expect(writes.at(-1)!.status).toEqual({ nodes: [expect.objectContaining({ name: 'n1', role: 'Master', realServers: 2 })] });
  });

  it('keeps a removed VIP owned until a pass has deleted its services, then forgets it', async () => {
    objects.virtualServers = [];
    speaker.requestSync();
    await speaker.settled();
    expect(kernel.tables.at(-1)).toEqual({ table: [], owned: [vip] });
    speaker.requestSync();
    await speaker.settled();
    expect(kernel.tables.at(-1)).toEqual({ table: [], owned: [] });
  });

  it('keeps owning the VIPs of a pass whose writes failed, and says so in the status', async () => {
    kernel.failing.set(`tcp/${vip}/80`, 'EPERM');
    objects.virtualServers = [virtualServer('web', { vip, spec: { ports: [{ port: 80, scheduler: 'rr' }] } })];
    speaker.requestSync();
    await speaker.settled();
    await status.idle();
    expect(writes.at(-1)!.status.nodes![0]).toMatchObject({ programmed: false, message: expect.stringContaining('EPERM') });
  });

  it('takes a real server out when its health check fails, at once', async () => {
    probeResult = { passed: false, detail: 'refused' };
    objects.virtualServers = [virtualServer('web', { vip, spec: { healthCheck: { type: 'TCP', intervalSeconds: 3600, timeoutSeconds: 1, healthyThreshold: 1, unhealthyThreshold: 1 } } })];
    speaker.requestSync();
    await speaker.settled();
    // The check runs as soon as the target appears; its verdict asks for the pass that removes the server.
    await waitFor(() => kernel.table.length === 0);
    expect(await registry.getSingleMetricAsString('tsvs_speaker_health_checks_total')).toContain('result="fail"');
  });

  it('reports a service that someone else deleted under it', async () => {
    kernel.vanishing.push(`tcp/${vip}/80`);
    speaker.requestSync();
    await speaker.settled();
    expect(logs.filter((l) => l.event === 'ipvs.service-vanished')).toEqual([expect.objectContaining({ service: `tcp/${vip}/80`, virtualServer: 'app/web' })]);
    expect(await registry.getSingleMetricAsString('tsvs_speaker_ipvs_services_vanished_total')).toContain('{namespace="app",virtualserver="web"} 1');
  });

  it('coalesces many requests into one pass after the running one', async () => {
    const before = kernel.tables.length;
    for (let i = 0; i < 10; i++) speaker.requestSync();
    await speaker.settled();
    expect(kernel.tables.length).toBe(before + 1);
  });

  it('on stop hands the kernel every owned VIP and withdraws its status entries', async () => {
    await speaker.stop();
    expect(kernel.stoppedWith).toEqual([vip]);
    expect(writes.at(-1)).toEqual({ key: 'app/web', status: {} });
  });

  /** Lets queued promise callbacks run until the condition holds (no timers involved). */
  async function waitFor(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
    expect(condition()).toBe(true);
  }
});
