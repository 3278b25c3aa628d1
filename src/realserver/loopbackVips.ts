import type { RtNetlinkSocket } from 'netlink';
import type { Logger } from '../log.js';
import { bytesToIp, ipFamily, ipToBytes } from '../speaker/net/ipAddress.js';
import { desiredAddresses, planAddresses, type ActualAddress, type AddressPlan, type VipDevices } from '../speaker/vip/addressPlan.js';
import { NetlinkError, TSVS_ADDRESS_PROTO } from '../speaker/vip/vipAddresses.js';

const AF_INET = 2;
const AF_INET6 = 10;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const IFA_PROTO = 11;
const INFINITY_LIFETIME = 0xffffffff;

/**
 * The speaker's address plan, with lo in the NIC's place: a VIP "placed as master" lands on lo,
 * and only addresses tagged by us (IFA_PROTO) or named as VIPs are ever removed, so 127.0.0.1
 * and ::1 stay. There is no dummy device in a pod.
 */
const devices: VipDevices = { nic: 'lo', dummy: '' };

async function attempt<T>(operation: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    const code = /Request rejected: (\w+)/.exec((err as Error).message)?.[1];
    throw code ? new NetlinkError(code, operation) : err;
  }
}

async function actualOnLo(rt: RtNetlinkSocket, index: number): Promise<ActualAddress[]> {
  const addresses = await attempt('list addresses', () => rt.getAddresses());
  return addresses.flatMap((a) => {
    const bytes = a.attrs.local ?? a.attrs.address;
    if (a.data.index !== index || !bytes || (a.data.family !== AF_INET && a.data.family !== AF_INET6)) return [];
    const proto = a.attrs.__unparsed?.find(([type]) => type === IFA_PROTO)?.[1];
    return [{ device: 'lo', address: bytesToIp(bytes), prefixLength: a.data.prefixlen ?? 0, tagged: proto?.[0] === TSVS_ADDRESS_PROTO }];
  });
}

/** Makes the VIPs on lo exactly `vips` (as /32 and /128); returns what changed. */
export async function reconcileLoopbackVips(rt: RtNetlinkSocket, loIndex: number, vips: readonly string[], log: Logger): Promise<AddressPlan> {
  const desired = desiredAddresses(vips.map((address) => ({ address, placement: 'master' as const })), devices);
  const plan = planAddresses(desired, await actualOnLo(rt, loIndex), devices, vips);
  for (const { address, prefixLength } of plan.add) {
    const six = ipFamily(address) === 6;
    const bytes = ipToBytes(address);
    // netlink 0.3.0 encodes `__unparsed` attributes but refuses the key when it is enumerable.
    const attrs = Object.defineProperty(
      {
        local: bytes,
        address: bytes,
        // IPv6: no DAD, and preferred lifetime 0 so that the VIP is never picked as a source.
        ...(six ? { flags: { nodad: true as const }, cacheInfo: { ifaPrefered: 0, ifaValid: INFINITY_LIFETIME, cstamp: 0, tstamp: 0 } } : {}),
      },
      '__unparsed',
      { value: [[IFA_PROTO, Buffer.from([TSVS_ADDRESS_PROTO])]], enumerable: false },
    );
    try {
      await attempt(`add ${address}/${prefixLength} to lo`, () =>
        rt.newAddress({ family: six ? AF_INET6 : AF_INET, prefixlen: prefixLength, index: loIndex }, attrs, { flags: NLM_F_CREATE | NLM_F_EXCL }),
      );
    } catch (err) {
      if (!(err instanceof NetlinkError && err.code === 'EEXIST')) throw err;
    }
    log.info({ event: 'realserver.vip-added', address }, `${address}/${prefixLength} on lo`);
  }
  for (const { address, prefixLength } of plan.remove) {
    const bytes = ipToBytes(address);
    try {
      await attempt(`remove ${address}/${prefixLength} from lo`, () =>
        rt.delAddress({ family: ipFamily(address) === 6 ? AF_INET6 : AF_INET, prefixlen: prefixLength, index: loIndex }, { local: bytes, address: bytes }),
      );
    } catch (err) {
      if (!(err instanceof NetlinkError && err.code === 'EADDRNOTAVAIL')) throw err;
    }
    log.info({ event: 'realserver.vip-removed', address }, `${address}/${prefixLength} off lo`);
  }
  return plan;
}
