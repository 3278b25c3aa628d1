import type { Logger } from '../../log.js';
import type { IpFamily } from '../net/ipAddress.js';
import { encodeAdvert, type ChecksumForm } from './packet.js';
import { checkInbound, type InboundVrrp, type ReceiveFilter } from './receive.js';
import { initialState, nextDeadline, step, type VrrpEvent, type VrrpInstanceConfig, type VrrpState, type VrrpStateName } from './stateMachine.js';

/** One virtual router as configured: the state machine's settings plus what it advertises. */
export interface VrrpInstanceSpec extends VrrpInstanceConfig {
  addresses: string[];
  /** The IPv4 checksum form we send (we accept both). */
  checksumForm: ChecksumForm;
}

/** What the router needs from a socket: VrrpSocket, or an in-memory one in unit tests. */
export interface VrrpTransport {
  readonly options: { family: IpFamily; source: string; peers: string[] };
  destinations(): string[];
  send(packet: Buffer, destination: string): void;
  startReading(onPacket: (packet: InboundVrrp) => void, onError: (error: Error) => void): void;
  /** Delivers packets already received but not yet read. */
  drain(): void;
  close(): void;
}

export interface VrrpRouterHandlers {
  /** The instance changed state; the caller moves its addresses. */
  transition(vrid: number, from: VrrpStateName, to: VrrpStateName): void;
  /** Time to send gratuitous ARP / unsolicited NA for the instance's addresses. */
  announce(vrid: number, addresses: string[]): void;
}

interface Running {
  spec: VrrpInstanceSpec;
  state: VrrpState;
  timer?: NodeJS.Timeout;
}

/**
 * Runs every VRRP instance of one interface and family over one transport: demultiplexes
 * received adverts by VRID, drives each state machine with real time, and carries out its
 * actions. Deciding stays in stateMachine.ts; this only does.
 */
export class VrrpRouter {
  private readonly instances = new Map<number, Running>();
  private filter: ReceiveFilter;
  private started = false;
  private readonly rejections = new Map<string, number>();
  private readonly packets = new Map<string, Buffer>();

  constructor(
    private readonly transport: VrrpTransport,
    specs: VrrpInstanceSpec[],
    private readonly handlers: VrrpRouterHandlers,
    private readonly log: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {
    for (const spec of specs) {
      if (this.instances.has(spec.vrid)) throw new Error(`VRID ${spec.vrid} is configured twice on one interface`);
      this.instances.set(spec.vrid, { spec, state: initialState(spec) });
    }
    this.filter = this.receiveFilter();
  }

  private receiveFilter(): ReceiveFilter {
    const peers = this.transport.options.peers;
    return {
      family: this.transport.options.family,
      instances: new Map([...this.instances].map(([vrid, running]) => [vrid, { addresses: running.spec.addresses }])),
      ownAddresses: new Set([this.transport.options.source]),
      ...(peers.length > 0 ? { allowedSources: new Set(peers) } : {}),
    };
  }

  start(): void {
    this.started = true;
    this.transport.startReading(
      (packet) => this.receive(packet),
      (error) => this.reject('unreadable', 'socket', error.message),
    );
    for (const vrid of this.instances.keys()) this.deliver(vrid, { type: 'startup' });
  }

  /**
   * Changes the instances while running: a new VRID starts up, a removed one shuts down (a
   * master sends priority 0 so that a backup takes over at once), and a changed one carries
   * its new priority, interval and addresses from its next advertisement on, keeping its state.
   */
  setInstances(specs: VrrpInstanceSpec[]): void {
    const wanted = new Map(specs.map((spec) => [spec.vrid, spec]));
    if (wanted.size !== specs.length) throw new Error('a VRID is configured twice on one interface');
    for (const [vrid, running] of this.instances) {
      if (wanted.has(vrid)) continue;
      if (this.started) this.deliver(vrid, { type: 'shutdown' });
      clearTimeout(running.timer);
      this.instances.delete(vrid);
      this.forgetPackets(vrid);
    }
    const added: number[] = [];
    for (const spec of specs) {
      const running = this.instances.get(spec.vrid);
      if (!running) {
        this.instances.set(spec.vrid, { spec, state: initialState(spec) });
        added.push(spec.vrid);
      } else if (JSON.stringify(running.spec) !== JSON.stringify(spec)) {
        running.spec = spec;
        this.forgetPackets(spec.vrid);
      }
    }
    this.filter = this.receiveFilter();
    if (this.started) for (const vrid of added) this.deliver(vrid, { type: 'startup' });
  }

  private forgetPackets(vrid: number): void {
    for (const key of this.packets.keys()) if (key.startsWith(`${vrid} `)) this.packets.delete(key);
  }

  /** Shuts every instance down (a master sends priority 0) and closes the transport. */
  stop(): void {
    for (const vrid of this.instances.keys()) this.deliver(vrid, { type: 'shutdown' });
    for (const running of this.instances.values()) clearTimeout(running.timer);
    this.transport.close();
  }

  state(vrid: number): VrrpStateName | undefined {
    return this.instances.get(vrid)?.state.name;
  }

  private receive(packet: InboundVrrp): void {
    const verdict = checkInbound(packet, this.filter);
    if (!verdict.accepted) {
      this.reject(verdict.reason, packet.source, verdict.message);
      return;
    }
    if (verdict.addressMismatch) this.reject('address-mismatch', verdict.source, `VRID ${verdict.advert.vrid} from ${verdict.source} advertises ${verdict.advert.addresses.join(',')}`);
    this.deliver(verdict.advert.vrid, {
      type: 'advert',
      advert: { priority: verdict.advert.priority, maxAdvertIntervalCs: verdict.advert.maxAdvertIntervalCs, source: verdict.source },
    });
  }

  /** Logs a dropped packet at warn the 1st, 2nd, 4th, 8th... time per reason and source, so a flood cannot flood the log. */
  private reject(reason: string, source: string, message: string): void {
    const key = `${reason} ${source}`;
    const count = (this.rejections.get(key) ?? 0) + 1;
    this.rejections.set(key, count);
    if ((count & (count - 1)) === 0) this.log.warn({ event: 'vrrp-packet-dropped', reason, source, count }, message);
  }

  private deliver(vrid: number, event: VrrpEvent): void {
    const running = this.instances.get(vrid);
    if (!running) return;
    const { state, actions } = step(running.spec, running.state, event, this.now());
    running.state = state;
    for (const action of actions) {
      switch (action.type) {
        case 'send-advert':
          this.sendAdvert(running.spec, action.priority);
          break;
        case 'announce':
          this.handlers.announce(vrid, running.spec.addresses);
          break;
        case 'transition':
          this.log.info({ event: 'vrrp.transition', vrid, from: action.from, to: action.to, family: this.transport.options.family }, `VRID ${vrid}: ${action.from} -> ${action.to}`);
          this.handlers.transition(vrid, action.from, action.to);
          break;
        case 'discard':
          this.log.debug({ event: 'vrrp-advert-discarded', vrid, reason: action.reason });
          break;
      }
    }
    this.arm(vrid, running);
  }

  private arm(vrid: number, running: Running): void {
    clearTimeout(running.timer);
    const deadline = nextDeadline(running.state);
    if (deadline === undefined) {
      delete running.timer;
      return;
    }
    running.timer = setTimeout(() => {
      // A starved process wakes up to expired timers before it reads its socket: an
      // advertisement may be waiting that resets this very timer.
      this.transport.drain();
      this.deliver(vrid, { type: 'timer' });
    }, Math.max(0, deadline - this.now()));
  }

  /** Adverts never change for a given VRID, priority and destination: encode each once. */
  private packet(spec: VrrpInstanceSpec, priority: number, destination: string): Buffer {
    const key = `${spec.vrid} ${priority} ${destination}`;
    let packet = this.packets.get(key);
    if (!packet) {
      const { family, source } = this.transport.options;
      packet = encodeAdvert({ vrid: spec.vrid, priority, maxAdvertIntervalCs: spec.advertIntervalCs, addresses: spec.addresses }, { family, source, destination }, spec.checksumForm);
      this.packets.set(key, packet);
    }
    return packet;
  }

  private sendAdvert(spec: VrrpInstanceSpec, priority: number): void {
    for (const destination of this.transport.destinations()) {
      try {
        this.transport.send(this.packet(spec, priority, destination), destination);
      } catch (err) {
        this.log.error({ event: 'vrrp-send-failed', vrid: spec.vrid, destination, err }, `VRID ${spec.vrid}: cannot send an advertisement to ${destination}`);
      }
    }
  }
}
