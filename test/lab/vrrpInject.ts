// Sends hand-made VRRP advertisements into a lab segment, for the receive-check tests:
// `node vrrpInject.mjs '<json>'` in a rogue namespace. Fields: interface, source, vrid,
// priority, addresses, count, gapMs, ttl (default 255), version (3), corruptChecksum (false).
import { z } from 'zod';
import { AF_INET, interfaceIndex, RawSocket } from '../../src/speaker/net/rawSocket.js';
import { encodeAdvert, VRRP_MULTICAST_V4, VRRP_PROTOCOL } from '../../src/speaker/vrrp/packet.js';

const options = z
  .object({
    interface: z.string(),
    source: z.string(),
    vrid: z.number().int(),
    priority: z.number().int(),
    addresses: z.array(z.string()),
    count: z.number().int().min(1).default(1),
    gapMs: z.number().int().min(0).default(200),
    ttl: z.number().int().min(1).max(255).default(255),
    version: z.number().int().min(0).max(15).default(3),
    corruptChecksum: z.boolean().default(false),
  })
  .parse(JSON.parse(process.argv[2] ?? '{}'));

const packet = encodeAdvert({ vrid: options.vrid, priority: options.priority, maxAdvertIntervalCs: 100, addresses: options.addresses }, { family: 4, source: options.source, destination: VRRP_MULTICAST_V4 });
packet.writeUInt8((options.version << 4) | (packet.readUInt8(0) & 0xf), 0);
if (options.corruptChecksum) packet.writeUInt16BE(packet.readUInt16BE(6) ^ 0x5a5a, 6);

const socket = RawSocket.open(AF_INET, VRRP_PROTOCOL);
socket.bindToDevice(options.interface);
const ifindex = interfaceIndex(options.interface);
for (let i = 0; i < options.count; i++) {
  if (i > 0) await new Promise((resolve) => setTimeout(resolve, options.gapMs));
  socket.sendIp(packet, VRRP_MULTICAST_V4, { ifindex, source: options.source, hopLimit: options.ttl });
}
socket.close();
