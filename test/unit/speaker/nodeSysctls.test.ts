import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeSysctls } from '../../../src/speaker/vip/nodeSysctls.js';
import { nodeSysctlRules, type NodeInterface } from '../../../src/speaker/vip/sysctlPlan.js';

const log = pino({ level: 'silent' });

// A /proc/sys stand-in: the speaker's per-interface rules against a directory tree.
describe('NodeSysctls with per-interface rules', () => {
  let root: string;
  let stateFile: string;
  let interfaces: NodeInterface[];
  const set = async (key: string, value: string) => {
    await mkdir(dirname(join(root, key)), { recursive: true });
    await writeFile(join(root, key), `${value}\n`);
  };
  const get = async (key: string) => (await readFile(join(root, key), 'utf8')).trim();
  const sysctls = () => new NodeSysctls(() => Promise.resolve(nodeSysctlRules(interfaces)), log, { root, stateFile });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tsvs-sysctl-'));
    stateFile = join(root, 'state', 'sysctl-originals.json');
    interfaces = [
      { name: 'eth0', hasIpv4: true },
      { name: 'cali1', hasIpv4: false },
    ];
    for (const key of ['all/arp_ignore', 'all/arp_announce', 'all/accept_local']) await set(`net/ipv4/conf/${key}`, '0');
    await set('net/ipv4/conf/eth0/rp_filter', '1');
    await set('net/ipv4/conf/all/rp_filter', '2');
    await set('net/ipv4/conf/default/rp_filter', '1');
    await set('net/ipv4/conf/cali1/rp_filter', '1');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('turns rp_filter off on all, default and the veths present at each reconcile, not on the NIC', async () => {
    const node = sysctls();
    expect(await node.reconcile()).toEqual(['net/ipv4/vs/sloppy_tcp']);
    expect(await Promise.all(['all', 'default', 'cali1', 'eth0'].map((i) => get(`net/ipv4/conf/${i}/rp_filter`)))).toEqual(['0', '0', '0', '1']);
    interfaces.push({ name: 'cali2', hasIpv4: false });
    await set('net/ipv4/conf/cali2/rp_filter', '2');
    await node.reconcile();
    expect(await get('net/ipv4/conf/cali2/rp_filter')).toBe('0');
  });

  it('restores the originals, from the state file after a restart, skipping interfaces that went', async () => {
    await sysctls().reconcile();
    interfaces = [{ name: 'eth0', hasIpv4: true }];
    await rm(join(root, 'net/ipv4/conf/cali1'), { recursive: true });
    await sysctls().undo();
    expect(await Promise.all(['all', 'default', 'eth0'].map((i) => get(`net/ipv4/conf/${i}/rp_filter`)))).toEqual(['2', '1', '1']);
    expect(await get('net/ipv4/conf/all/arp_ignore')).toBe('0');
    await expect(readFile(stateFile)).rejects.toThrow(/ENOENT/);
  });

  it('skips a veth that goes after it was listed', async () => {
    const node = new NodeSysctls(
      async () => {
        const rules = nodeSysctlRules(interfaces);
        await rm(join(root, 'net/ipv4/conf/cali1'), { recursive: true });
        return rules;
      },
      log,
      { root, stateFile },
    );
    await expect(node.reconcile()).resolves.toEqual(['net/ipv4/vs/sloppy_tcp']);
  });
});
