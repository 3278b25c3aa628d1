import type { RtNetlinkSocket } from 'netlink';
import type { Logger } from '../log.js';
import { desiredAddresses, planAddresses, type AddressPlan, type VipDevices } from '../speaker/vip/addressPlan.js';
import { addVipAddress, deviceAddresses, removeVipAddress } from '../speaker/vip/vipAddresses.js';

/**
 * The speaker's address plan, with lo in the NIC's place: a VIP "placed as master" lands on lo,
 * and only addresses tagged by us (IFA_PROTO) or named as VIPs are ever removed, so 127.0.0.1
 * and ::1 stay. There is no dummy device in a pod.
 */
const devices: VipDevices = { nic: 'lo', dummy: '' };

/** Makes the VIPs on lo exactly `vips` (as /32 and /128); returns what changed. */
export async function reconcileLoopbackVips(rt: RtNetlinkSocket, loIndex: number, vips: readonly string[], log: Logger): Promise<AddressPlan> {
  const desired = desiredAddresses(vips.map((address) => ({ address, placement: 'master' as const })), devices);
  const plan = planAddresses(desired, await deviceAddresses(rt, new Map([[loIndex, 'lo']])), devices, vips);
  for (const placed of plan.add) {
    await addVipAddress(rt, placed, loIndex);
    log.info({ event: 'realserver.vip-added', address: placed.address }, `${placed.address}/${placed.prefixLength} on lo`);
  }
  for (const placed of plan.remove) {
    await removeVipAddress(rt, placed, loIndex);
    log.info({ event: 'realserver.vip-removed', address: placed.address }, `${placed.address}/${placed.prefixLength} off lo`);
  }
  return plan;
}
