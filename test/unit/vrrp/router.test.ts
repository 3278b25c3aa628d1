import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { decodeAdvert, encodeAdvert } from '../../../src/speaker/vrrp/packet.js';
import type { InboundVrrp } from '../../../src/speaker/vrrp/receive.js';
import { VrrpRouter, type VrrpInstanceSpec, type VrrpTransport } from '../../../src/speaker/vrrp/router.js';

/** An in-memory transport: records what is sent, lets the test deliver packets. */
class MemoryTransport implements VrrpTransport {
  readonly options = { family: 4 as const, source: '10.9.0.5', peers: [] as string[] };
  readonly sent: { destination: string; packet: Buffer }[] = [];
  closed = false;
  private readonly queued: InboundVrrp[] = [];
  private onPacket: ((packet: InboundVrrp) => void) | undefined;
  destinations(): string[] {
    return ['224.0.0.18'];
  }
  send(packet: Buffer, destination: string): void {
    this.sent.push({ destination, packet });
  }
  startReading(onPacket: (packet: InboundVrrp) => void): void {
    this.onPacket = onPacket;
  }
  drain(): void {
    for (const packet of this.queued.splice(0)) this.onPacket?.(packet);
  }
  close(): void {
    this.closed = true;
  }
  /** A packet the kernel has queued but the event loop has not read yet. */
  queue(vrid: number, priority: number): void {
    const envelope = { family: 4 as const, source: '10.9.0.9', destination: '224.0.0.18' };
    this.queued.push({ ...envelope, payload: encodeAdvert({ vrid, priority, maxAdvertIntervalCs: 100, addresses: [] }, envelope), hopLimit: 255 });
  }
  deliver(vrid: number, priority: number, overrides: Partial<InboundVrrp> = {}): void {
    const envelope = { family: 4 as const, source: '10.9.0.9', destination: '224.0.0.18' };
    const payload = encodeAdvert({ vrid, priority, maxAdvertIntervalCs: 100, addresses: [] }, envelope);
    this.onPacket?.({ ...envelope, payload, hopLimit: 255, ...overrides });
  }
  adverts(): { vrid: number; priority: number }[] {
    return this.sent.map(({ packet, destination }) => decodeAdvert(packet, { family: 4, source: '10.9.0.5', destination }).advert);
  }
}

const spec = (vrid: number, priority: number): VrrpInstanceSpec => ({
  vrid,
  priority,
  advertIntervalCs: 100,
  preempt: true,
  preemptDelayMs: 0,
  primaryAddress: '10.9.0.5',
  addresses: [`10.9.1.${vrid}`],
  checksumForm: 'pseudo-header',
});

describe('VrrpRouter', () => {
  const log = createLogger('test', 'silent');
  let transport: MemoryTransport;
  const transitions: string[] = [];
  const announced: number[] = [];
  beforeEach(() => {
    vi.useFakeTimers();
    transport = new MemoryTransport();
    transitions.length = 0;
    announced.length = 0;
  });
  afterEach(() => vi.useRealTimers());

  function start(...specs: VrrpInstanceSpec[]): VrrpRouter {
    const router = new VrrpRouter(
      transport,
      specs,
      { transition: (vrid, from, to) => transitions.push(`${vrid}:${from}->${to}`), announce: (vrid) => announced.push(vrid) },
      log,
      () => Date.now(),
    );
    router.start();
    return router;
  }

  it('runs several VRIDs on one transport, each on its own timers', () => {
    const router = start(spec(1, 100), spec(2, 200));
    expect(transitions).toEqual(['1:init->backup', '2:init->backup']);
    vi.advanceTimersByTime(3300); // MDI(200) = 3.22 s, MDI(100) = 3.61 s
    expect(router.state(2)).toBe('master');
    expect(router.state(1)).toBe('backup');
    vi.advanceTimersByTime(400);
    expect(router.state(1)).toBe('master');
    expect(announced).toEqual([2, 1]);
    expect(transport.adverts()).toEqual([
      { vrid: 2, priority: 200, maxAdvertIntervalCs: 100, addresses: ['10.9.1.2'] },
      { vrid: 1, priority: 100, maxAdvertIntervalCs: 100, addresses: ['10.9.1.1'] },
    ]);
  });

  it('delivers an advertisement only to its VRID', () => {
    const router = start(spec(1, 100), spec(2, 100));
    vi.advanceTimersByTime(3000);
    transport.deliver(1, 250);
    vi.advanceTimersByTime(1000);
    expect(router.state(1)).toBe('backup');
    expect(router.state(2)).toBe('master');
  });

  it('drops bad packets without touching any instance, and never throws', () => {
    const router = start(spec(1, 100));
    vi.advanceTimersByTime(3000);
    transport.deliver(1, 250, { hopLimit: 64 });
    transport.deliver(1, 250, { payload: Buffer.from('garbage') });
    transport.deliver(9, 250);
    vi.advanceTimersByTime(1000);
    expect(router.state(1)).toBe('master');
  });

  it('stop sends priority 0 for a master and closes the transport', () => {
    const router = start(spec(1, 100));
    vi.advanceTimersByTime(4000);
    transport.sent.length = 0;
    router.stop();
    expect(transport.adverts()).toEqual([{ vrid: 1, priority: 0, maxAdvertIntervalCs: 100, addresses: ['10.9.1.1'] }]);
    expect(transport.closed).toBe(true);
    vi.advanceTimersByTime(10_000);
    expect(transport.adverts()).toHaveLength(1);
  });

  it('reads queued advertisements before acting on an expired down timer', () => {
    const router = start(spec(1, 100));
    vi.advanceTimersByTime(3000);
    transport.deliver(1, 200);
    // The master's next advertisement arrived, but the event loop reaches the timer first.
    vi.advanceTimersByTime(3500);
    transport.queue(1, 200);
    vi.advanceTimersByTime(200);
    expect(router.state(1)).toBe('backup');
  });

  it('refuses the same VRID twice', () => {
    expect(() => start(spec(1, 100), spec(1, 50))).toThrow(/twice/);
    expect(() => start().setInstances([spec(1, 100), spec(1, 50)])).toThrow(/twice/);
  });

  it('starts an instance added while running, and accepts its adverts from then on', () => {
    const router = start(spec(1, 100));
    router.setInstances([spec(1, 100), spec(2, 100)]);
    expect(transitions).toEqual(['1:init->backup', '2:init->backup']);
    transport.deliver(2, 200);
    vi.advanceTimersByTime(3000);
    transport.deliver(2, 200);
    vi.advanceTimersByTime(700); // MDI(100) = 3.61 s
    expect(router.state(1)).toBe('master');
    expect(router.state(2)).toBe('backup');
  });

  it('shuts a removed master down with priority 0 and forgets it; its adverts are dropped from then on', () => {
    const router = start(spec(1, 100), spec(2, 100));
    vi.advanceTimersByTime(4000);
    transport.sent.length = 0;
    transitions.length = 0;
    router.setInstances([spec(1, 100)]);
    expect(transport.adverts()).toEqual([{ vrid: 2, priority: 0, maxAdvertIntervalCs: 100, addresses: ['10.9.1.2'] }]);
    expect(transitions).toEqual(['2:master->init']);
    expect(router.state(2)).toBeUndefined();
    transport.deliver(2, 200);
    vi.advanceTimersByTime(5000);
    expect(transport.adverts().filter((a) => a.vrid === 2)).toHaveLength(1);
  });

  it('advertises a changed priority from the next advert on, keeping the state', () => {
    const router = start(spec(1, 100));
    vi.advanceTimersByTime(4000);
    transport.sent.length = 0;
    router.setInstances([{ ...spec(1, 150), addresses: ['10.9.1.1', '10.9.1.9'] }]);
    expect(router.state(1)).toBe('master');
    vi.advanceTimersByTime(1000);
    expect(transport.adverts()).toEqual([{ vrid: 1, priority: 150, maxAdvertIntervalCs: 100, addresses: ['10.9.1.1', '10.9.1.9'] }]);
    expect(transitions).toEqual(['1:init->backup', '1:backup->master']);
  });

  it('lets a backup whose priority rose preempt the master it follows', () => {
    const router = start(spec(1, 100));
    transport.deliver(1, 120);
    router.setInstances([spec(1, 130)]);
    // The lower-priority master's adverts no longer reset the down timer.
    vi.advanceTimersByTime(3000);
    transport.deliver(1, 120);
    vi.advanceTimersByTime(700);
    expect(router.state(1)).toBe('master');
  });
});
