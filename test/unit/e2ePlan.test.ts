import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addressPoolsValue, cluster, e2eSteps, poolFromSubnet, teardown, workloadManifests, type Facts, type Step } from '../e2e/plan.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const steps = e2eSteps(repoRoot);
const facts: Facts = { subnet: '172.18.0.0/16', master: `${cluster}-worker` };
const argvOf = (step: Step, f: Facts = facts) => (typeof step.argv === 'function' ? step.argv(f) : step.argv);
const indexOf = (name: string) => {
  const i = steps.findIndex((s) => s.name === name);
  expect(i, name).toBeGreaterThanOrEqual(0);
  return i;
};

describe('the kind suite plan', () => {
  it('puts the pool near the top of the kind network', () => {
    expect(poolFromSubnet('172.18.0.0/16')).toEqual({ first: '172.18.255.200', last: '172.18.255.250', serviceVip: '172.18.255.200', virtualServerVip: '172.18.255.201' });
    expect(poolFromSubnet('192.168.10.0/24')).toMatchObject({ first: '192.168.10.200', last: '192.168.10.250' });
    expect(poolFromSubnet('10.89.3.0/20')).toMatchObject({ first: '10.89.15.200', last: '10.89.15.250' });
    expect(addressPoolsValue('172.18.0.0/16')).toEqual([{ name: 'e2e', addresses: ['172.18.255.200-172.18.255.250'] }]);
  });

  it('refuses a subnet it cannot carve a pool from', () => {
    expect(() => poolFromSubnet('172.18.0.0/26')).toThrow('not an IPv4 subnet of /8 to /24');
    expect(() => poolFromSubnet('fc00:f853:ccd:e793::/64')).toThrow('not an IPv4 subnet');
    expect(() => poolFromSubnet('nonsense')).toThrow('not an IPv4 subnet');
  });

  it('runs only docker, kind, kubectl and helm, with fully formed arguments', () => {
    for (const step of [...steps, teardown]) {
      const argv = argvOf(step);
      expect(['docker', 'kind', 'kubectl', 'helm'], step.name).toContain(argv[0]);
      for (const arg of argv) {
        expect(arg, `${step.name}: ${argv.join(' ')}`).toMatch(/^\S(.*\S)?$/);
        expect(arg, step.name).not.toMatch(/undefined|\[object|NaN/);
      }
      if (argv[0] === 'kubectl') expect(argv.slice(1, 3)).toEqual(['--context', `kind-${cluster}`]);
    }
    expect(new Set(steps.map((s) => s.name)).size).toBe(steps.length);
  });

  it('refers to files that exist', () => {
    const paths = steps.flatMap((s) => argvOf(s)).filter((a) => a.startsWith(repoRoot));
    expect(paths.length).toBeGreaterThanOrEqual(4);
    for (const path of paths) expect(existsSync(path), path).toBe(true);
  });

  it('builds and loads the image before installing, installs before applying, proves the VIP before failing the master', () => {
    const order = [
      'create the kind cluster',
      'build the image',
      'load the image into the nodes',
      "find the kind network's IPv4 subnet",
      'helm install the chart',
      'the controller rolls out',
      'apply the workload',
      'the Service gets its VIP',
      "the Service's VIP has a VRRP master",
      'curl the Service VIP from a container on the kind network',
      "kill the master speaker's node container",
      'another node becomes master',
      'the VIP answers again after failover',
    ].map(indexOf);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('marks every step that needs VRRP, VIPs on nodes or IPVS as needing the speaker, and only those', () => {
    const speakerSteps = steps.filter((s) => s.needsSpeaker).map((s) => s.name);
    expect(speakerSteps).toEqual([
      'the speakers roll out',
      'the echo pods are ready',
      "the Service's VIP has a VRRP master",
      'curl the Service VIP from a container on the kind network',
      'curl the VirtualServer VIP',
      "kill the master speaker's node container",
      'another node becomes master',
      'the VIP answers again after failover',
    ]);
  });

  it('runs the controller-only steps with nothing learnt but the subnet, and says which fact is missing otherwise', () => {
    for (const step of steps.filter((s) => !s.needsSpeaker)) {
      expect(() => argvOf(step, { subnet: facts.subnet })).not.toThrow();
      expect(() => step.stdin?.({ subnet: facts.subnet })).not.toThrow();
    }
    expect(() => argvOf(steps[indexOf('helm install the chart')]!, {})).toThrow('no subnet yet');
    expect(() => argvOf(steps[indexOf("kill the master speaker's node container")]!, { subnet: facts.subnet })).toThrow('no master yet');
  });

  it('learns the subnet and the master from command output', () => {
    expect(steps[indexOf("find the kind network's IPv4 subnet")]!.learn!('fc00:f853:ccd:e793::/64,172.18.0.0/16,\n')).toEqual({ subnet: '172.18.0.0/16' });
    expect(() => steps[indexOf("find the kind network's IPv4 subnet")]!.learn!('fc00::/64 ')).toThrow('no IPv4 subnet');
    expect(steps[indexOf("the Service's VIP has a VRRP master")]!.learn!(`${cluster}-worker2`)).toEqual({ master: `${cluster}-worker2` });
  });

  it('waits for a different master after the kill', () => {
    const check = steps[indexOf('another node becomes master')]!.until!.check;
    expect(check(`${cluster}-worker`, facts)).toBe(false);
    expect(check('', facts)).toBe(false);
    expect(check(`${cluster}-worker2`, facts)).toBe(true);
  });

  it('asks the Service and the VirtualServer for VIPs from the pool, and puts both on the real servers', () => {
    const objects = workloadManifests('172.18.0.0/16') as Array<{ kind: string; metadata: { annotations?: Record<string, string> }; spec: Record<string, unknown> }>;
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'Deployment', 'Service', 'VirtualServer']);
    expect(objects[2]!.metadata.annotations).toEqual({ 'tsvs.io/loadBalancerIPs': '172.18.255.200' });
    expect(objects[2]!.spec).toMatchObject({ type: 'LoadBalancer', loadBalancerClass: 'tsvs.io/ipvs' });
    expect(objects[3]!.spec).toMatchObject({ vip: '172.18.255.201', pool: 'e2e' });
    expect(JSON.stringify(objects[1])).toContain('"realserver-init","--vips","172.18.255.200,172.18.255.201"');
  });
});
