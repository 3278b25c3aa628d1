import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import type { Logger } from '../../log.js';
import { bytesToIp, ipFamily, ipToBytes } from '../net/ipAddress.js';
import { planAddresses, type ActualAddress, type AddressPlan, type NicAddress, type PlacedAddress, type VipDevices } from './addressPlan.js';
import type { NodeInterface } from './sysctlPlan.js';

const AF_INET = 2;
const AF_INET6 = 10;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const IFLA_INFO_KIND = 1;
/** IFA_PROTO (Linux 6.1+): who added an address. Ours carry this tag, so a restart finds its leftovers. */
const IFA_PROTO = 11;
const TSVS_ADDRESS_PROTO = 0x74;
const INFINITY_LIFETIME = 0xffffffff;

/** An rtnetlink request the kernel refused; `code` is the errno name (EEXIST, EPERM, ...). */
export class NetlinkError extends Error {
  override readonly name = 'NetlinkError';
  constructor(
    readonly code: string,
    readonly operation: string,
  ) {
    super(`${operation}: ${code}`);
  }
}

async function attempt<T>(operation: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    const code = /Request rejected: (\w+)/.exec((err as Error).message)?.[1];
    if (code) throw new NetlinkError(code, operation);
    throw err;
  }
}

/**
 * Adds an attribute netlink 0.3.0 has no name for. Its encoder appends `__unparsed` entries but
 * also throws on that key when it is enumerable, so the property is defined non-enumerable.
 */
function withRawAttribute<T extends object>(attrs: T, type: number, data: Buffer): T {
  return Object.defineProperty(attrs, '__unparsed', { value: [[type, data]], enumerable: false });
}

/** IFLA_LINKINFO's nested IFLA_INFO_KIND attribute. */
function linkKind(kind: string): Buffer {
  const value = Buffer.from(`${kind}\0`);
  const attribute = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  attribute.writeUInt16LE(4 + value.length, 0);
  attribute.writeUInt16LE(IFLA_INFO_KIND, 2);
  value.copy(attribute, 4);
  return attribute;
}

/** The IPv4 and IPv6 addresses of the devices in `names` (index to name), each marked when it carries our tag. */
export async function deviceAddresses(rt: RtNetlinkSocket, names: ReadonlyMap<number, string>): Promise<ActualAddress[]> {
  const addresses = await attempt('list addresses', () => rt.getAddresses());
  return addresses.flatMap((a) => {
    const device = a.data.index === undefined ? undefined : names.get(a.data.index);
    const bytes = a.attrs.local ?? a.attrs.address;
    if (device === undefined || !bytes || (a.data.family !== AF_INET && a.data.family !== AF_INET6)) return [];
    const proto = a.attrs.__unparsed?.find(([type]) => type === IFA_PROTO)?.[1];
    return [{ device, address: bytesToIp(bytes), prefixLength: a.data.prefixlen ?? 0, tagged: proto?.[0] === TSVS_ADDRESS_PROTO }];
  });
}

/** Adds a VIP to the device at `index`, tagged as ours; one already there is fine. */
export async function addVipAddress(rt: RtNetlinkSocket, placed: PlacedAddress, index: number): Promise<void> {
  const six = ipFamily(placed.address) === 6;
  const bytes = ipToBytes(placed.address);
  try {
    await attempt(`add ${placed.address}/${placed.prefixLength} to ${placed.device}`, () =>
      rt.newAddress(
        { family: six ? AF_INET6 : AF_INET, prefixlen: placed.prefixLength, index },
        withRawAttribute(
          {
            local: bytes,
            address: bytes,
            // IPv6: no DAD (the VIP moves between nodes on purpose), and preferred lifetime 0 so
            // the kernel never picks a VIP as a source address (as keepalived does).
            ...(six ? { flags: { nodad: true as const }, cacheInfo: { ifaPrefered: 0, ifaValid: INFINITY_LIFETIME, cstamp: 0, tstamp: 0 } } : {}),
          },
          IFA_PROTO,
          Buffer.from([TSVS_ADDRESS_PROTO]),
        ),
        { flags: NLM_F_CREATE | NLM_F_EXCL },
      ),
    );
  } catch (err) {
    if (!(err instanceof NetlinkError && err.code === 'EEXIST')) throw err;
  }
}

/** Removes a VIP from the device at `index`; one already gone is fine. */
export async function removeVipAddress(rt: RtNetlinkSocket, placed: PlacedAddress, index: number): Promise<void> {
  const bytes = ipToBytes(placed.address);
  try {
    await attempt(`remove ${placed.address}/${placed.prefixLength} from ${placed.device}`, () =>
      rt.delAddress({ family: ipFamily(placed.address) === 6 ? AF_INET6 : AF_INET, prefixlen: placed.prefixLength, index }, { local: bytes, address: bytes }),
    );
  } catch (err) {
    if (!(err instanceof NetlinkError && err.code === 'EADDRNOTAVAIL')) throw err;
  }
}

/**
 * The VIP addresses of one node over rtnetlink: the dummy device, and the NIC's and the
 * dummy's addresses, reconciled from what the kernel reports each time.
 */
export class VipAddresses {
  /** Interface indexes by name, so that the frequent reconciles need no link dumps. */
  private readonly indexes = new Map<string, number>();

  private constructor(
    private readonly rt: RtNetlinkSocket,
    readonly devices: VipDevices,
    private readonly log: Logger,
  ) {}

  static open(devices: VipDevices, log: Logger): VipAddresses {
    return new VipAddresses(createRtNetlink(), devices, log);
  }

  /** One link by name (RTM_GETLINK with IFLA_IFNAME, not a dump), or undefined if there is none. */
  private async link(name: string): Promise<{ index: number; mac?: Buffer } | undefined> {
    try {
      const [link] = await attempt(`find ${name}`, () => this.rt.getLink({}, { ifname: name }));
      if (link?.data.index === undefined) return undefined;
      this.indexes.set(name, link.data.index);
      return { index: link.data.index, ...(link.attrs.address ? { mac: link.attrs.address } : {}) };
    } catch (err) {
      if (err instanceof NetlinkError && err.code === 'ENODEV') {
        this.indexes.delete(name);
        return undefined;
      }
      throw err;
    }
  }

  private async index(name: string): Promise<number> {
    const index = this.indexes.get(name) ?? (await this.link(name))?.index;
    if (index === undefined) throw new NetlinkError('ENODEV', `find ${name}`);
    return index;
  }

  /** Creates the dummy device if missing and sets it up; returns its ifindex. */
  async ensureDummy(): Promise<number> {
    const name = this.devices.dummy;
    let index = (await this.link(name))?.index;
    if (index === undefined) {
      try {
        await attempt(`create ${name}`, () => this.rt.newLink({}, { ifname: name, linkinfo: linkKind('dummy') }, { flags: NLM_F_CREATE | NLM_F_EXCL }));
        this.log.info({ event: 'dummy-created', device: name }, `created ${name}`);
      } catch (err) {
        if (!(err instanceof NetlinkError && err.code === 'EEXIST')) throw err;
      }
      index = await this.index(name);
    }
    const up = index;
    await attempt(`set ${name} up`, () => this.rt.setLink({ index: up, flags: { up: true }, change: { up: true } }));
    return index;
  }

  async removeDummy(): Promise<void> {
    const link = await this.link(this.devices.dummy);
    if (link === undefined) return;
    await attempt(`delete ${this.devices.dummy}`, () => this.rt.delLink({ index: link.index }));
    this.indexes.delete(this.devices.dummy);
    this.log.info({ event: 'dummy-removed', device: this.devices.dummy }, `removed ${this.devices.dummy}`);
  }

  /** The NIC's index, MAC and addresses. */
  async nic(): Promise<{ index: number; mac: Buffer; addresses: NicAddress[] }> {
    const link = await this.link(this.devices.nic);
    if (!link?.mac) throw new NetlinkError('ENODEV', `find ${this.devices.nic} and its MAC`);
    const index = link.index;
    const addresses = await attempt('list addresses', () => this.rt.getAddresses());
    return {
      index,
      mac: link.mac,
      addresses: addresses.flatMap((a) => {
        const bytes = a.attrs.local ?? a.attrs.address;
        if (a.data.index !== index || !bytes || (a.data.family !== AF_INET && a.data.family !== AF_INET6)) return [];
        const flags = { ...a.data.flags, ...a.attrs.flags };
        const proto = a.attrs.__unparsed?.find(([type]) => type === IFA_PROTO)?.[1];
        return [{ address: bytesToIp(bytes), secondary: flags.secondary === true, tentative: flags.tentative === true, tagged: proto?.[0] === TSVS_ADDRESS_PROTO }];
      }),
    };
  }

  /** The addresses on the NIC and the dummy device, as the kernel has them now. */
  async actual(): Promise<ActualAddress[]> {
    const names = new Map([
      [await this.index(this.devices.nic), this.devices.nic],
      [await this.index(this.devices.dummy), this.devices.dummy],
    ]);
    return deviceAddresses(this.rt, names);
  }

  /** Every interface of the node, and whether it has an IPv4 address (addresses listed after links, so none is missed). */
  async interfaces(): Promise<NodeInterface[]> {
    const links = await attempt('list links', () => this.rt.getLinks());
    const addresses = await attempt('list addresses', () => this.rt.getAddresses());
    const withIpv4 = new Set(addresses.flatMap((a) => (a.data.family === AF_INET && a.data.index !== undefined ? [a.data.index] : [])));
    return links.flatMap((l) => (l.attrs.ifname && l.data.index !== undefined ? [{ name: l.attrs.ifname, hasIpv4: withIpv4.has(l.data.index) }] : []));
  }

  /**
   * Reads the kernel's state, plans against the desired addresses and applies the plan. A
   * device that has gone (ENODEV) is looked up afresh next time.
   */
  async reconcile(desired: PlacedAddress[], managed: Iterable<string>): Promise<AddressPlan> {
    try {
      return await this.apply(desired, managed);
    } catch (err) {
      if (err instanceof NetlinkError && err.code === 'ENODEV') this.indexes.clear();
      throw err;
    }
  }

  private async apply(desired: PlacedAddress[], managed: Iterable<string>): Promise<AddressPlan> {
    const plan = planAddresses(desired, await this.actual(), this.devices, managed);
    if (plan.add.length === 0 && plan.remove.length === 0) return plan;
    const indexes = new Map<string, number>();
    for (const device of new Set([...plan.add, ...plan.remove].map((a) => a.device))) indexes.set(device, await this.index(device));
    for (const address of plan.add) await this.add(address, indexes.get(address.device) as number);
    for (const address of plan.remove) await this.remove(address, indexes.get(address.device) as number);
    return plan;
  }

  private async add(placed: PlacedAddress, index: number): Promise<void> {
    await addVipAddress(this.rt, placed, index);
    this.log.info({ event: 'vip-added', device: placed.device, address: placed.address }, `${placed.address} on ${placed.device}`);
  }

  private async remove(placed: PlacedAddress, index: number): Promise<void> {
    await removeVipAddress(this.rt, placed, index);
    this.log.info({ event: 'vip-removed', device: placed.device, address: placed.address }, `${placed.address} off ${placed.device}`);
  }

  close(): void {
    this.rt.socket.close();
  }
}
