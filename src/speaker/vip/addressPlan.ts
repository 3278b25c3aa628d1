import { canonicalIp, ipFamily } from '../net/ipAddress.js';

/**
 * Where each VIP's address should live on this node, and the changes that get there from
 * what the kernel has (DESIGN.md, data flow step 1). Pure: the rtnetlink layer applies it.
 */

/**
 * master: on the NIC, so this node answers ARP/NS for it. local: on the dummy device only,
 * so the kernel accepts tier-2 traffic for it but never answers ARP. absent: nowhere.
 */
export type VipPlacement = 'master' | 'local' | 'absent';

export interface VipIntent {
  address: string;
  placement: VipPlacement;
}

export interface VipDevices {
  /** The interface VRRP speaks on. */
  nic: string;
  /** The dummy device (tsvs0). Everything on it is ours. */
  dummy: string;
}

export interface PlacedAddress {
  device: string;
  address: string;
  prefixLength: number;
}

export interface ActualAddress extends PlacedAddress {
  /** Tagged by us (IFA_PROTO); untagged addresses on the NIC are ours only if they are VIPs we manage. */
  tagged: boolean;
}

export interface AddressPlan {
  add: PlacedAddress[];
  remove: PlacedAddress[];
}

/** The host prefix of the VIP's family: VIPs never bring a subnet route with them. */
export function hostPrefix(address: string): number {
  return ipFamily(address) === 4 ? 32 : 128;
}

export function desiredAddresses(intents: VipIntent[], devices: VipDevices): PlacedAddress[] {
  return intents.flatMap(({ address, placement }) => {
    if (placement === 'absent') return [];
    return [{ device: placement === 'master' ? devices.nic : devices.dummy, address: canonicalIp(address), prefixLength: hostPrefix(address) }];
  });
}

const isLinkLocal = (address: string) => /^fe[89ab]/.test(canonicalIp(address));

const key = (a: PlacedAddress) => `${a.device} ${canonicalIp(a.address)}/${a.prefixLength}`;

/**
 * Adds first, then removes: a VIP moving between the NIC and the dummy device is never
 * missing from the node in between, so its traffic keeps being accepted.
 */
export function planAddresses(desired: PlacedAddress[], actual: ActualAddress[], devices: VipDevices, managed: Iterable<string>): AddressPlan {
  const managedSet = new Set([...managed].map(canonicalIp));
  const actualKeys = new Set(actual.map(key));
  const desiredKeys = new Set(desired.map(key));
  // The kernel's own IPv6 link-local address on the dummy device is left alone.
  const ours = (a: ActualAddress) =>
    (a.device === devices.dummy && !isLinkLocal(a.address)) || (a.device === devices.nic && (a.tagged || managedSet.has(canonicalIp(a.address))));
  return {
    add: desired.filter((d) => !actualKeys.has(key(d))),
    remove: actual.filter((a) => ours(a) && !desiredKeys.has(key(a))).map(({ device, address, prefixLength }) => ({ device, address, prefixLength })),
  };
}

export interface NicAddress {
  address: string;
  secondary: boolean;
  /** IPv6 duplicate address detection still running: not usable as a source yet. */
  tentative: boolean;
  tagged: boolean;
}

/**
 * The addresses VRRP sends from (RFC 5798 §5.1): the NIC's primary IPv4 address and its IPv6
 * link-local address, never a VIP.
 */
export function vrrpSources(addresses: NicAddress[], managed: Iterable<string>): { ipv4?: string; ipv6?: string } {
  const vips = new Set([...managed].map(canonicalIp));
  const usable = addresses.filter((a) => !a.tagged && !vips.has(canonicalIp(a.address)) && !a.tentative);
  const ipv4 = usable.find((a) => ipFamily(a.address) === 4 && !a.secondary)?.address;
  const ipv6 = usable.find((a) => ipFamily(a.address) === 6 && isLinkLocal(a.address))?.address;
  return { ...(ipv4 === undefined ? {} : { ipv4 }), ...(ipv6 === undefined ? {} : { ipv6: canonicalIp(ipv6) }) };
}
