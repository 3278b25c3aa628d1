import {
  decodeDaemon,
  decodeDestination,
  decodeInfo,
  decodeService,
  decodeTimeouts,
  describeService,
  encodeDaemon,
  encodeDaemonRole,
  encodeServiceKey,
  encodeTimeouts,
  serviceFamily,
} from './codec.js';
import { encodeWrite, writeTarget, type IpvsWrite } from './commands.js';
import { Command, IPVS_FAMILY_NAME } from './constants.js';
import { IpvsError, IpvsTransportError, type IpvsOperation } from './errors.js';
import { GenlChannel, resolveFamily, type GenlCommand, type GenlReply } from './genlChannel.js';
import type {
  DaemonRole,
  DestinationConfig,
  DestinationEntry,
  DestinationKey,
  DestinationState,
  IpvsInfo,
  ServiceConfig,
  ServiceEntry,
  ServiceKey,
  SyncDaemonConfig,
  TableEntry,
  TableState,
  Timeouts,
} from './types.js';

export interface IpvsClientOptions {
  /** Sockets used to dump the destinations of many services at once (one dump per socket at a time). */
  dumpConcurrency?: number;
  /** A request with no reply for this long fails with IpvsTransportError. */
  stallTimeoutMs?: number;
  receiveBufferBytes?: number;
}

/** The outcome of one write in a batch: `error` is set when it failed. */
export interface WriteResult {
  write: IpvsWrite;
  error?: IpvsError | IpvsTransportError | Error;
}

const label = (operation: IpvsOperation, target: string): { operation: IpvsOperation; target: string } => ({ operation, target });

/**
 * IPVS over generic netlink, in the current network namespace. Every method works on one
 * object; `execute` sends a batch of writes pipelined. FLUSH is not offered: tsvs deletes
 * only what it created.
 */
export class IpvsClient {
  private constructor(
    private readonly channels: GenlChannel[],
    readonly familyId: number,
  ) {}

  static async open(options: IpvsClientOptions = {}): Promise<IpvsClient> {
    const family = await resolveFamily(IPVS_FAMILY_NAME);
    const channelOptions = { stallTimeoutMs: options.stallTimeoutMs ?? 30_000, receiveBufferBytes: options.receiveBufferBytes ?? 4 * 1024 * 1024 };
    const count = Math.max(1, options.dumpConcurrency ?? 16);
    const channels = Array.from({ length: count }, () => new GenlChannel(family.id, family.version, channelOptions));
    return new IpvsClient(channels, family.id);
  }

  close(): void {
    for (const channel of this.channels) channel.close();
  }

  /** sendmsg calls made so far, over all sockets: what "writes" costs in syscalls. */
  get datagramsSent(): number {
    return this.channels.reduce((sum, channel) => sum + channel.datagramsSent, 0);
  }

  private get primary(): GenlChannel {
    return this.channels[0] as GenlChannel;
  }

  private doit(command: GenlCommand, operation: IpvsOperation, target: string): Promise<GenlReply[]> {
    return this.primary.request(command, 'doit', label(operation, target));
  }

  private async single(command: GenlCommand, operation: IpvsOperation, target: string): Promise<Buffer> {
    const [reply] = await this.doit(command, operation, target);
    if (!reply) throw new IpvsTransportError(`${operation} ${target}: the kernel acknowledged without a reply`);
    return reply.attributes;
  }

  async info(): Promise<IpvsInfo> {
    return decodeInfo(await this.single({ cmd: Command.GET_INFO, attributes: Buffer.alloc(0) }, 'get-info', 'IPVS'));
  }

  async getTimeouts(): Promise<Timeouts> {
    return decodeTimeouts(await this.single({ cmd: Command.GET_CONFIG, attributes: Buffer.alloc(0) }, 'get-timeouts', 'IPVS'));
  }

  /** Sets the given timeouts; absent or 0 ones stay as they are. */
  async setTimeouts(timeouts: Partial<Timeouts>): Promise<void> {
    await this.doit({ cmd: Command.SET_CONFIG, attributes: encodeTimeouts(timeouts) }, 'set-timeouts', 'IPVS');
  }

  /** Every service in the namespace, with stats unless `stats` is false. */
  listServices(options?: { stats?: true }): Promise<ServiceEntry[]>;
  listServices(options: { stats: false }): Promise<ServiceConfig[]>;
  async listServices(options: { stats?: boolean } = {}): Promise<ServiceConfig[]> {
    // No attributes: the service dump ignores them (moby sends an empty nested SERVICE).
    const replies = await this.primary.request({ cmd: Command.GET_SERVICE, attributes: Buffer.alloc(0) }, 'dump', label('list-services', 'all'));
    const withStats = options.stats ?? true;
    return replies.map((reply) => decodeService(reply.attributes, withStats));
  }

  /** Throws IpvsError with reason 'service-missing' when it does not exist. */
  async getService(key: ServiceKey): Promise<ServiceEntry> {
    return decodeService(await this.single({ cmd: Command.GET_SERVICE, attributes: encodeServiceKey(key) }, 'get-service', describeService(key)));
  }

  /** The destinations of a service, with stats unless `stats` is false. An unknown service lists none (the kernel's dump does not fail). */
  listDestinations(key: ServiceKey, options?: { stats?: true }): Promise<DestinationEntry[]>;
  listDestinations(key: ServiceKey, options: { stats: false }): Promise<DestinationState[]>;
  listDestinations(key: ServiceKey, options: { stats?: boolean } = {}): Promise<DestinationState[]> {
    return this.dumpDestinations(key, this.primary, options.stats ?? true);
  }

  private async dumpDestinations(key: ServiceKey, channel: GenlChannel, withStats: boolean): Promise<DestinationState[]> {
    const replies = await channel.request({ cmd: Command.GET_DEST, attributes: encodeServiceKey(key) }, 'dump', label('list-destinations', describeService(key)));
    const family = serviceFamily(key);
    return replies.map((reply) => decodeDestination(reply.attributes, family, withStats));
  }

  /**
   * Every service with its destinations: one service dump, then one destination dump per
   * service, spread over the sockets. With `stats: false` the counters are not decoded; with
   * `only`, just the services it accepts (and their destinations) are dumped.
   */
  dumpTable(options?: { stats?: true; only?: (service: ServiceConfig) => boolean }): Promise<TableEntry[]>;
  dumpTable(options: { stats: false; only?: (service: ServiceConfig) => boolean }): Promise<TableState[]>;
  async dumpTable(options: { stats?: boolean; only?: (service: ServiceConfig) => boolean } = {}): Promise<TableState[]> {
    const withStats = options.stats ?? true;
    const services: ServiceConfig[] = withStats ? await this.listServices() : await this.listServices({ stats: false });
    // Services left out by `only` are not returned, and their destinations are not dumped.
    const table = (options.only ? services.filter(options.only) : services) as TableState[];
    for (const entry of table) entry.destinations = [];
    let next = 0;
    const worker = async (channel: GenlChannel): Promise<void> => {
      while (next < table.length) {
        const entry = table[next++] as TableState;
        entry.destinations = await this.dumpDestinations(entry, channel, withStats);
      }
    };
    await Promise.all(this.channels.map(worker));
    return table;
  }

  private async write(write: IpvsWrite): Promise<void> {
    await this.doit(encodeWrite(write), write.kind, writeTarget(write));
  }

  addService(service: ServiceConfig): Promise<void> {
    return this.write({ kind: 'add-service', service });
  }

  updateService(service: ServiceConfig): Promise<void> {
    return this.write({ kind: 'update-service', service });
  }

  deleteService(service: ServiceKey): Promise<void> {
    return this.write({ kind: 'delete-service', service });
  }

  addDestination(service: ServiceKey, destination: DestinationConfig): Promise<void> {
    return this.write({ kind: 'add-destination', service, destination });
  }

  updateDestination(service: ServiceKey, destination: DestinationConfig): Promise<void> {
    return this.write({ kind: 'update-destination', service, destination });
  }

  deleteDestination(service: ServiceKey, destination: DestinationKey): Promise<void> {
    return this.write({ kind: 'delete-destination', service, destination });
  }

  /**
   * Sends the writes pipelined, in order, and reports each outcome; a failed write does not
   * stop the others. A write that cannot be encoded fails alone, without being sent.
   */
  async execute(writes: IpvsWrite[]): Promise<WriteResult[]> {
    const results: WriteResult[] = writes.map((write) => ({ write }));
    const encoded: GenlCommand[] = [];
    const positions: number[] = [];
    writes.forEach((write, index) => {
      try {
        encoded.push(encodeWrite(write));
        positions.push(index);
      } catch (error) {
        (results[index] as WriteResult).error = error as Error;
      }
    });
    const outcomes = await this.primary.pipeline(encoded);
    outcomes.forEach((outcome, i) => {
      const result = results[positions[i] as number] as WriteResult;
      if (outcome instanceof Error) result.error = outcome;
      else if (outcome !== 0) result.error = new IpvsError(result.write.kind, writeTarget(result.write), outcome);
    });
    return results;
  }

  async startDaemon(config: SyncDaemonConfig): Promise<void> {
    await this.doit({ cmd: Command.NEW_DAEMON, attributes: encodeDaemon(config) }, 'start-daemon', `${config.role} sync daemon`);
  }

  async stopDaemon(role: DaemonRole): Promise<void> {
    await this.doit({ cmd: Command.DEL_DAEMON, attributes: encodeDaemonRole(role) }, 'stop-daemon', `${role} sync daemon`);
  }

  async listDaemons(): Promise<ReturnType<typeof decodeDaemon>[]> {
    const replies = await this.primary.request({ cmd: Command.GET_DAEMON, attributes: Buffer.alloc(0) }, 'dump', label('list-daemons', 'sync daemons'));
    return replies.map((reply) => decodeDaemon(reply.attributes));
  }

  /** Zeroes the counters of one service and its destinations. */
  async zeroService(key: ServiceKey): Promise<void> {
    await this.doit({ cmd: Command.ZERO, attributes: encodeServiceKey(key) }, 'zero', describeService(key));
  }

  /** Zeroes every counter in the namespace, foreign services included (counters only; nothing is deleted). */
  async zeroAll(): Promise<void> {
    await this.doit({ cmd: Command.ZERO, attributes: Buffer.alloc(0) }, 'zero', 'all services');
  }
}
