import { execFile } from 'node:child_process';
import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import type { Logger } from '../log.js';
import { NodeSysctls } from '../speaker/vip/nodeSysctls.js';
import type { SysctlRule } from '../speaker/vip/sysctlPlan.js';
import { NetlinkError } from '../speaker/vip/vipAddresses.js';
import { reconcileLoopbackVips } from './loopbackVips.js';
import type { RealServerConfig } from './realServerConfig.js';
import { redirectRuleset } from './redirectRuleset.js';

const AF_INET = 2;
const IFLA_INET_CONF = 1;
const IPV4_DEVCONF_ARP_ANNOUNCE = 18;
const IPV4_DEVCONF_ARP_IGNORE = 19;

/** A step of the pod's network setup that failed; the message says which and why. */
export class PodNetworkError extends Error {
  override readonly name = 'PodNetworkError';
}

/** DR real-server sysctls (TECH.md §4.2) for `all` and each interface but lo. */
export function realServerSysctlRules(interfaces: readonly string[]): SysctlRule[] {
  return ['all', ...interfaces].flatMap((name) => [
    { key: `net/ipv4/conf/${name}/arp_ignore`, want: '1', accept: ['1', '2'], why: 'never answer ARP on eth0 for the VIP that sits on lo' },
    { key: `net/ipv4/conf/${name}/arp_announce`, want: '2', why: 'never use the VIP as the source of ARP requests' },
  ]);
}

/** IFLA_AF_SPEC / AF_INET / IFLA_INET_CONF: per-interface IPv4 settings over rtnetlink. */
function inetConf(values: Array<[id: number, value: number]>): Map<number, Buffer> {
  const inner = Buffer.alloc(values.length * 8);
  values.forEach(([id, value], i) => {
    inner.writeUInt16LE(8, i * 8);
    inner.writeUInt16LE(id, i * 8 + 2);
    inner.writeUInt32LE(value, i * 8 + 4);
  });
  const header = Buffer.alloc(4);
  header.writeUInt16LE(4 + inner.length, 0);
  header.writeUInt16LE(IFLA_INET_CONF, 2);
  return new Map([[AF_INET, Buffer.concat([header, inner])]]);
}

function runNft(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('nft', ['-f', '-'], (err, _stdout, stderr) => {
      if (!err) return resolve();
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the nft program is not installed' : stderr.trim() || err.message;
      reject(new PodNetworkError(`port redirect (nftables): ${why}`));
    });
    child.stdin?.end(script);
  });
}

/**
 * Brings the pod's network namespace to the configuration: lo up, exactly the configured VIPs
 * on lo, the ARP sysctls, and exactly the configured port redirects. Every step reads the
 * kernel's state first, so running it again changes nothing.
 */
export async function applyPodNetwork(config: RealServerConfig, log: Logger): Promise<void> {
  const rt = createRtNetlink();
  try {
    const { loIndex, interfaces } = await ensureLoopbackUp(rt);
    const plan = await reconcileLoopbackVips(rt, loIndex, config.vips, log);
    log.info({ event: 'realserver.vips', vips: config.vips, added: plan.add.length, removed: plan.remove.length }, `VIPs on lo: ${config.vips.join(', ') || 'none'}`);
    await applySysctls(rt, interfaces, log);
    await runNft(redirectRuleset(config.redirects));
    log.info({ event: 'realserver.redirects', redirects: config.redirects }, `${config.redirects.length} port redirects`);
  } catch (err) {
    if (err instanceof NetlinkError) throw new PodNetworkError(`${err.message} (the container needs CAP_NET_ADMIN)`, { cause: err });
    throw err;
  } finally {
    rt.socket.close();
  }
}

/** Sets lo up if it is not; returns its index and the names of the other interfaces. */
async function ensureLoopbackUp(rt: RtNetlinkSocket): Promise<{ loIndex: number; interfaces: string[] }> {
  const links = await rt.getLinks();
  const lo = links.find((l) => l.attrs.ifname === 'lo');
  const loIndex = lo?.data.index;
  if (!loIndex) throw new PodNetworkError('no lo interface in this network namespace');
  if (!lo.data.flags?.up) {
    try {
      await rt.setLink({ index: loIndex, flags: { up: true }, change: { up: true } });
    } catch (err) {
      throw new NetlinkError(/Request rejected: (\w+)/.exec((err as Error).message)?.[1] ?? (err as Error).message, 'set lo up');
    }
  }
  return { loIndex, interfaces: links.flatMap((l) => (l.attrs.ifname && l.attrs.ifname !== 'lo' ? [l.attrs.ifname] : [])) };
}

/**
 * Through /proc/sys when it is writable. Container runtimes mount /proc/sys read-only; then
 * each interface gets the values over rtnetlink (the effective value is the larger of `all`
 * and the interface's, so that is enough for every interface present now).
 */
async function applySysctls(rt: RtNetlinkSocket, interfaces: string[], log: Logger): Promise<void> {
  try {
    await new NodeSysctls(realServerSysctlRules(interfaces), log).reconcile();
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EROFS') throw new PodNetworkError(`ARP sysctls: ${(err as Error).message}`, { cause: err });
  }
  log.warn({ event: 'realserver.sysctl-readonly', interfaces }, '/proc/sys is read-only; setting arp_ignore and arp_announce per interface over rtnetlink');
  const links = await rt.getLinks();
  for (const link of links) {
    const index = link.data.index;
    if (!index || link.attrs.ifname === 'lo') continue;
    try {
      await rt.setLink({ index }, { afSpec: inetConf([[IPV4_DEVCONF_ARP_IGNORE, 1], [IPV4_DEVCONF_ARP_ANNOUNCE, 2]]) });
    } catch (e) {
      throw new PodNetworkError(`ARP settings of ${link.attrs.ifname} over rtnetlink: ${(e as Error).message}`, { cause: e });
    }
  }
}
