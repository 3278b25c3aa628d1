// The write operations of the IPVS table, as data: the diff produces them, the client sends them.

import { describeDestination, describeService, encodeDestination, encodeDestinationKey, encodeService, encodeServiceKey } from './codec.js';
import { Command } from './constants.js';
import type { GenlCommand } from './genlChannel.js';
import type { DestinationConfig, DestinationKey, ServiceConfig, ServiceKey } from './types.js';

export type IpvsWrite =
  | { kind: 'add-service'; service: ServiceConfig }
  | { kind: 'update-service'; service: ServiceConfig }
  | { kind: 'delete-service'; service: ServiceKey }
  | { kind: 'add-destination'; service: ServiceKey; destination: DestinationConfig }
  | { kind: 'update-destination'; service: ServiceKey; destination: DestinationConfig }
  | { kind: 'delete-destination'; service: ServiceKey; destination: DestinationKey };

/** The object a write acts on, as error messages and logs name it. */
export function writeTarget(write: IpvsWrite): string {
  return 'destination' in write ? describeDestination(write.service, write.destination) : describeService(write.service);
}

/** The generic netlink command for a write. */
export function encodeWrite(write: IpvsWrite): GenlCommand {
  switch (write.kind) {
    case 'add-service':
      return { cmd: Command.NEW_SERVICE, attributes: encodeService(write.service) };
    case 'update-service':
      return { cmd: Command.SET_SERVICE, attributes: encodeService(write.service) };
    case 'delete-service':
      return { cmd: Command.DEL_SERVICE, attributes: encodeServiceKey(write.service) };
    case 'add-destination':
      return { cmd: Command.NEW_DEST, attributes: encodeDestination(write.service, write.destination) };
    case 'update-destination':
      return { cmd: Command.SET_DEST, attributes: encodeDestination(write.service, write.destination) };
    case 'delete-destination':
      return { cmd: Command.DEL_DEST, attributes: encodeDestinationKey(write.service, write.destination) };
  }
}
