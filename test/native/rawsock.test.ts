import { afterEach, describe, expect, it } from 'vitest';
import { bytesToIp } from '../../src/speaker/net/ipAddress.js';
import {
  AF_INET,
  AF_INET6,
  AF_PACKET,
  interfaceIndex,
  IP_PKTINFO,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  RawSocket,
  type RawPacketInfo,
} from '../../src/speaker/net/rawSocket.js';

// The addon against the real kernel, on loopback only. Needs root (CAP_NET_RAW).
const EXPERIMENTAL_PROTOCOL = 253; // RFC 3692: for experimentation, so nothing else listens
const EXPERIMENTAL_ETHERTYPE = 0x88b5; // IEEE local experimental ethertype
const open: RawSocket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
function socket(...args: Parameters<typeof RawSocket.open>): RawSocket {
  const s = RawSocket.open(...args);
  open.push(s);
  return s;
}

/** Resolves with the first packet whose data satisfies match, or rejects after timeoutMs. */
function receive(s: RawSocket, match: (data: Buffer) => boolean, timeoutMs = 5000): Promise<{ data: Buffer; info: RawPacketInfo }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no packet received')), timeoutMs);
    s.startReading(
      (data, info) => {
        if (!match(data)) return;
        clearTimeout(timer);
        s.stopReading();
        resolve({ data, info });
      },
      (err) => reject(err),
    );
  });
}

const lo = interfaceIndex('lo');
const marker = (text: string) => Buffer.from(`tsvs-rawsock-${text}-${process.pid}`);

describe('rawsock addon on loopback', () => {
  it('IPv4: sends with an ancillary TTL and source, receives the header and IP_PKTINFO', async () => {
    const receiver = socket(AF_INET, EXPERIMENTAL_PROTOCOL);
    receiver.bindToDevice('lo');
    receiver.setInt(IPPROTO_IP, IP_PKTINFO, 1);
    const payload = marker('v4');
    const got = receive(receiver, (d) => d.subarray(20).equals(payload));
    const sender = socket(AF_INET, EXPERIMENTAL_PROTOCOL);
    sender.sendIp(payload, '127.0.0.1', { hopLimit: 7, source: '127.0.0.1', ifindex: lo });
    const { data, info } = await got;
    expect(data.readUInt8(8)).toBe(7);
    expect(data.readUInt8(9)).toBe(EXPERIMENTAL_PROTOCOL);
    expect(info.ifindex).toBe(lo);
    expect(bytesToIp(info.destination!)).toBe('127.0.0.1');
    expect(bytesToIp(info.source!)).toBe('127.0.0.1');
  });

  it('IPv4: a socket option TTL applies without ancillary data', async () => {
    const receiver = socket(AF_INET, EXPERIMENTAL_PROTOCOL);
    const payload = marker('v4-ttl');
    const got = receive(receiver, (d) => d.subarray(20).equals(payload));
    const sender = socket(AF_INET, EXPERIMENTAL_PROTOCOL);
    sender.setInt(IPPROTO_IP, IP_TTL, 255);
    expect(sender.getInt(IPPROTO_IP, IP_TTL)).toBe(255);
    sender.sendIp(payload, '127.0.0.1');
    expect((await got).data.readUInt8(8)).toBe(255);
  });

  it.each([255, 3])('IPv6: the hop limit %i sent as ancillary data is the one received', async (hops) => {
    const receiver = socket(AF_INET6, EXPERIMENTAL_PROTOCOL);
    receiver.setInt(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
    receiver.setInt(IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    const payload = marker(`v6-${hops}`);
    const got = receive(receiver, (d) => d.equals(payload));
    socket(AF_INET6, EXPERIMENTAL_PROTOCOL).sendIp(payload, '::1', { hopLimit: hops, source: '::1' });
    const { info } = await got;
    expect(info.hopLimit).toBe(hops);
    expect(info.ifindex).toBe(lo);
    expect(bytesToIp(info.destination!)).toBe('::1');
    expect(bytesToIp(info.source!)).toBe('::1');
  });

  it('AF_PACKET: sends a whole Ethernet frame and receives it with link details', async () => {
    const receiver = socket(AF_PACKET, EXPERIMENTAL_ETHERTYPE);
    receiver.bindLink(lo, EXPERIMENTAL_ETHERTYPE);
    const payload = marker('l2');
    const frame = Buffer.concat([Buffer.alloc(6, 0xff), Buffer.from([2, 0, 0, 0, 0, 1]), Buffer.from([0x88, 0xb5]), payload]);
    const got = receive(receiver, (d) => d.subarray(14).equals(payload));
    socket(AF_PACKET, EXPERIMENTAL_ETHERTYPE).sendLink(frame, lo, Buffer.alloc(6, 0xff));
    const { data, info } = await got;
    expect(data.equals(frame)).toBe(true);
    expect(info.ifindex).toBe(lo);
    expect(info.linkSource?.toString('hex')).toBe('020000000001');
  });

  it('stops delivering after stopReading', async () => {
    const receiver = socket(AF_INET6, EXPERIMENTAL_PROTOCOL);
    const seen: Buffer[] = [];
    receiver.startReading((d) => seen.push(d), () => undefined);
    receiver.stopReading();
    const probe = socket(AF_INET6, EXPERIMENTAL_PROTOCOL);
    const last = marker('after-stop');
    const probeGot = receive(probe, (d) => d.equals(last));
    socket(AF_INET6, EXPERIMENTAL_PROTOCOL).sendIp(last, '::1');
    await probeGot;
    expect(seen).toEqual([]);
  });

  it('drain delivers queued packets synchronously, before the event loop polls', () => {
    const receiver = socket(AF_INET6, EXPERIMENTAL_PROTOCOL);
    const payload = marker('drain');
    const seen: Buffer[] = [];
    receiver.startReading((d) => {
      if (d.equals(payload)) seen.push(d);
    }, () => undefined);
    socket(AF_INET6, EXPERIMENTAL_PROTOCOL).sendIp(payload, '::1');
    // Loopback delivery happens inside sendmsg, so the packet is queued by now.
    receiver.drain();
    expect(seen).toHaveLength(1);
  });

  it('fails with errno codes, never silently', () => {
    expect(() => interfaceIndex('tsvs-nodev0')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    const s = socket(AF_INET, EXPERIMENTAL_PROTOCOL);
    expect(() => s.bindToDevice('tsvs-nodev0')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    expect(() => s.sendLink(Buffer.alloc(20), lo, Buffer.alloc(6))).toThrow(/AF_PACKET/);
    expect(() => RawSocket.open(99 as typeof AF_INET, 1)).toThrow(/family/);
    s.close();
    s.close();
    expect(() => s.setInt(IPPROTO_IP, IP_TTL, 1)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
