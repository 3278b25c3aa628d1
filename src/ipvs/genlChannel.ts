import { constants as osConstants } from 'node:os';
import { createGenericNetlink, genl, Protocol, RawNetlinkSocket } from 'netlink';
import { NlmFlag, NlmsgType } from './constants.js';
import { IpvsDecodeError, IpvsError, IpvsTransportError, type IpvsOperation } from './errors.js';
import { encodeGenlHeader, forEachMessage, parseDonePayload, parseErrorPayload, parseGenlPayload } from './netlinkMessage.js';

export interface GenlReply {
  cmd: number;
  attributes: Buffer;
}

export interface GenlCommand {
  cmd: number;
  attributes: Buffer;
}

/** errno 0 for success, or the error that prevented knowing the outcome. */
export type PipelineResult = number | IpvsTransportError;

export interface ChannelOptions {
  /** Fail every pending request when the kernel has sent nothing for this long. */
  stallTimeoutMs: number;
  /** SO_RCVBUF to ask for (the kernel caps it at net.core.rmem_max and doubles it). */
  receiveBufferBytes: number;
}

interface Pending {
  dump: boolean;
  replies: GenlReply[];
  settle: (outcome: number | Error, replies: GenlReply[]) => void;
  /** On the last request of a pipelined datagram (the only one asking for an ACK): the others, which succeeded unless an error came first. */
  batch?: number[];
}

// Kernel-side cost of one queued reply (skb truesize of a small ACK or an error quoting the request),
// used to size the pipeline window so that replies never overflow the receive buffer (which loses them: ENOBUFS).
const REPLY_TRUESIZE_BYTES = 1536;
// Requests packed in one sendmsg: the kernel runs them in order and replies to each.
const REQUESTS_PER_DATAGRAM = 64;

/** Looks up a generic netlink family id through the controller, with the netlink package's ctrlRequest. */
export async function resolveFamily(name: string): Promise<{ id: number; version: number }> {
  const socket = createGenericNetlink();
  try {
    const [family] = await socket.ctrlRequest(genl.Commands.GET_FAMILY, { familyName: name });
    if (family?.familyId === undefined) throw new IpvsDecodeError(`the controller's reply for family ${name} carries no id`);
    return { id: family.familyId, version: family.version ?? 1 };
  } catch (error) {
    const code = /Request rejected: (E[A-Z]+)/.exec(String((error as Error).message))?.[1];
    const errno = code ? (osConstants.errno as Record<string, number>)[code] : undefined;
    if (errno !== undefined) throw new IpvsError('resolve-family', name, errno);
    throw error;
  } finally {
    socket.socket.close();
  }
}

/**
 * One generic netlink socket for one family. Requests are matched to replies by sequence
 * number, so many can be in flight; dumps on one socket must run one at a time (the kernel
 * answers a second one with EBUSY), which this class enforces.
 */
export class GenlChannel {
  private readonly socket: RawNetlinkSocket;
  private readonly pending = new Map<number, Pending>();
  private seq = (Math.random() * 0x7fffffff) >>> 0;
  private watchdog: NodeJS.Timeout | undefined;
  /** Datagrams received so far: the watchdog's sign of life (cheaper than reading a clock per datagram). */
  private activity = 0;
  /** Dumps waiting for the one in progress (the kernel refuses a second dump on a socket with EBUSY). */
  private readonly dumpQueue: Array<() => void> = [];
  private dumping = false;
  private referenced = false;
  private idleCheck: NodeJS.Immediate | undefined;
  private closed = false;
  /** How many requests may await a reply at once. */
  readonly window: number;
  /** Datagrams handed to sendmsg, for benchmarks. */
  datagramsSent = 0;

  constructor(
    private readonly family: number,
    private readonly version: number,
    private readonly options: ChannelOptions,
  ) {
    this.socket = new RawNetlinkSocket(Protocol.GENERIC, { recvBufferSize: options.receiveBufferBytes, sendBufferSize: 0 });
    this.socket.on('message', (datagram) => this.receive(datagram));
    this.socket.on('truncatedMessage', () => this.failAll(new IpvsTransportError('a netlink reply was truncated')));
    this.socket.on('error', (error) => this.failAll(new IpvsTransportError(`netlink socket error: ${error.code ?? error.message}`)));
    this.socket.unref();
    this.window = Math.max(8, Math.min(1024, Math.floor(this.socket.getRecvBufferSize() / REPLY_TRUESIZE_BYTES)));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    this.failAll(new IpvsTransportError('the netlink socket was closed'));
    clearInterval(this.watchdog);
  }

  /**
   * A doit (ACK requested; resolves with any reply messages once the ACK arrives) or a dump
   * (resolves on DONE). Throws IpvsError when the kernel refuses.
   */
  request(command: GenlCommand, kind: 'doit' | 'dump', label: { operation: IpvsOperation; target: string }): Promise<GenlReply[]> {
    return new Promise((resolve, reject) => {
      const start = (): void => {
        let seq: number;
        try {
          seq = this.register(kind === 'dump', (outcome, replies) => {
            if (kind === 'dump') this.nextDump();
            if (outcome === 0) resolve(replies);
            else reject(typeof outcome === 'number' ? new IpvsError(label.operation, label.target, outcome) : outcome);
          });
        } catch (error) {
          if (kind === 'dump') this.nextDump();
          reject(error as Error);
          return;
        }
        this.send(this.encode(command, NlmFlag.REQUEST | (kind === 'dump' ? NlmFlag.DUMP : NlmFlag.ACK), seq), [seq]);
      };
      if (kind === 'doit') start();
      else if (this.dumping) this.dumpQueue.push(start);
      else {
        this.dumping = true;
        start();
      }
    });
  }

  private nextDump(): void {
    const next = this.dumpQueue.shift();
    if (next) next();
    else this.dumping = false;
  }

  /**
   * Sends set commands without waiting for each reply: up to REQUESTS_PER_DATAGRAM per
   * sendmsg and at most `window` unanswered. Only the last request of a datagram asks for an
   * ACK; the kernel processes a datagram's requests in order, keeps going after a failure and
   * reports each failure at once, so that ACK also means success for every request of the
   * datagram that got no error. Results are per command, in input order.
   */
  pipeline(commands: GenlCommand[]): Promise<PipelineResult[]> {
    const results = new Array<PipelineResult>(commands.length);
    if (commands.length === 0) return Promise.resolve(results);
    if (this.closed) return Promise.resolve(results.fill(new IpvsTransportError('the netlink socket is closed')));
    return new Promise((resolve) => {
      let next = 0;
      let inFlight = 0;
      let done = 0;
      const pump = (): void => {
        // Send full datagrams only: refilling a slot at a time would cost one sendmsg per request.
        while (next < commands.length && this.window - inFlight >= Math.min(REQUESTS_PER_DATAGRAM, commands.length - next)) {
          const count = Math.min(REQUESTS_PER_DATAGRAM, commands.length - next);
          const buffers: Buffer[] = [];
          const seqs: number[] = [];
          for (let i = 0; i < count; i++) {
            const index = next++;
            const seq = this.register(false, (outcome) => {
              results[index] = typeof outcome === 'number' ? outcome : outcome instanceof IpvsTransportError ? outcome : new IpvsTransportError(outcome.message);
              inFlight--;
              if (++done === commands.length) resolve(results);
              else pump();
            });
            const last = i === count - 1;
            buffers.push(...this.encode(commands[index] as GenlCommand, NlmFlag.REQUEST | (last ? NlmFlag.ACK : 0), seq));
            if (last) (this.pending.get(seq) as Pending).batch = seqs.slice();
            seqs.push(seq);
          }
          inFlight += count;
          this.send(buffers, seqs);
        }
      };
      pump();
    });
  }

  /** The iovecs of one request: its headers, then its attributes (already padded to 4 bytes). */
  private encode(command: GenlCommand, flags: number, seq: number): Buffer[] {
    const header = encodeGenlHeader({ family: this.family, flags, seq, cmd: command.cmd, version: this.version, attributesLength: command.attributes.length });
    return command.attributes.length > 0 ? [header, command.attributes] : [header];
  }

  private register(dump: boolean, settle: Pending['settle']): number {
    if (this.closed) throw new IpvsTransportError('the netlink socket is closed');
    do this.seq = (this.seq + 1) >>> 0;
    while (this.seq === 0 || this.pending.has(this.seq));
    if (!this.referenced) {
      this.referenced = true;
      this.socket.ref();
      this.startWatchdog();
    }
    this.pending.set(this.seq, { dump, replies: [], settle });
    return this.seq;
  }

  private send(buffers: Buffer[], seqs: number[]): void {
    this.datagramsSent++;
    this.socket.send(buffers, { port: 0 }, (error) => {
      if (!error) return;
      const failure = new IpvsTransportError(`sendmsg failed: ${error.code ?? error.message}`);
      for (const seq of seqs) this.finish(seq, failure);
    });
  }

  private finish(seq: number, outcome: number | Error): void {
    const pending = this.pending.get(seq);
    if (!pending) return;
    this.pending.delete(seq);
    if (this.pending.size === 0) this.idleCheck ??= setImmediate(() => this.releaseIfIdle());
    pending.settle(outcome, pending.replies);
    // A kernel reply to the last request of a batch settles the rest of it; a transport error fails it.
    for (const other of pending.batch ?? []) this.finish(other, typeof outcome === 'number' ? 0 : outcome);
  }

  private failAll(error: Error): void {
    for (const seq of [...this.pending.keys()]) this.finish(seq, error);
  }

  /** Fails every pending request if the kernel goes quiet for stallTimeoutMs. */
  private startWatchdog(): void {
    let seen = this.activity;
    let quietSince = performance.now();
    this.watchdog = setInterval(() => {
      const now = performance.now();
      if (this.activity !== seen) {
        seen = this.activity;
        quietSince = now;
      } else if (now - quietSince >= this.options.stallTimeoutMs) {
        this.failAll(new IpvsTransportError(`no reply from the kernel within ${this.options.stallTimeoutMs} ms`));
      }
    }, Math.max(10, this.options.stallTimeoutMs / 4));
    this.watchdog.unref();
  }

  /**
   * The socket keeps the process alive while requests are pending. Checked after the event
   * loop turn in which the last one settled, so that back-to-back requests (a dump per service)
   * do not ref and unref the socket each time.
   */
  private releaseIfIdle(): void {
    this.idleCheck = undefined;
    if (this.pending.size > 0 || !this.referenced) return;
    this.referenced = false;
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    if (!this.closed) this.socket.unref();
  }

  private receive(datagram: Buffer): void {
    this.activity++;
    try {
      forEachMessage(datagram, (type, _flags, seq, start, end) => {
        const pending = this.pending.get(seq);
        if (!pending) return; // a late reply to a request already failed by the watchdog
        try {
          if (type === NlmsgType.ERROR) {
            const errno = parseErrorPayload(datagram, start, end);
            if (!(pending.dump && errno === 0)) this.finish(seq, errno);
          } else if (type === NlmsgType.DONE) {
            this.finish(seq, parseDonePayload(datagram, start, end));
          } else if (type === this.family) {
            pending.replies.push(parseGenlPayload(datagram, start, end));
          }
        } catch (error) {
          this.finish(seq, error as Error);
        }
      });
    } catch (error) {
      this.failAll(new IpvsTransportError(`undecodable netlink datagram: ${(error as Error).message}`));
    }
  }
}
