import { getSystemErrorName } from 'node:util';

/** What an errno means for the IPVS operation that got it (TECH.md §1.6). */
export type IpvsErrorReason =
  | 'service-missing'
  | 'service-exists'
  | 'destination-missing'
  | 'destination-exists'
  | 'scheduler-or-engine-missing'
  | 'daemon-running'
  | 'daemon-not-running'
  | 'ipvs-unavailable'
  | 'invalid-argument'
  | 'out-of-range'
  | 'permission-denied'
  | 'address-family-unsupported'
  | 'not-supported'
  | 'module-unloading'
  | 'busy'
  | 'other';

/** The operations of the client, named as in error messages and logs. */
export type IpvsOperation =
  | 'resolve-family'
  | 'add-service'
  | 'update-service'
  | 'delete-service'
  | 'get-service'
  | 'list-services'
  | 'add-destination'
  | 'update-destination'
  | 'delete-destination'
  | 'list-destinations'
  | 'start-daemon'
  | 'stop-daemon'
  | 'list-daemons'
  | 'set-timeouts'
  | 'get-timeouts'
  | 'get-info'
  | 'zero';

const ERRNO = { EPERM: 1, ENOENT: 2, ESRCH: 3, EBUSY: 16, EEXIST: 17, EINVAL: 22, ERANGE: 34, ENOPROTOOPT: 92, EOPNOTSUPP: 95, EAFNOSUPPORT: 97 } as const;

const MEANING: Record<IpvsErrorReason, string> = {
  'service-missing': 'the virtual service does not exist',
  'service-exists': 'the virtual service already exists',
  'destination-missing': 'the real server does not exist in this service',
  'destination-exists': 'the real server already exists in this service',
  'scheduler-or-engine-missing': 'the scheduler or persistence engine module is not available',
  'daemon-running': 'a sync daemon in this state is already running',
  'daemon-not-running': 'no sync daemon in this state is running',
  'ipvs-unavailable': 'the IPVS generic netlink family is not registered (is the ip_vs module loaded?)',
  'invalid-argument': 'the kernel rejected an attribute as invalid',
  'out-of-range': 'weight or thresholds out of range',
  'permission-denied': 'CAP_NET_ADMIN is required',
  'address-family-unsupported': 'the address family is not supported (IPv6 disabled?)',
  'not-supported': 'the operation is not supported this way',
  'module-unloading': 'the IPVS module is unloading',
  busy: 'the netlink socket is busy with another dump',
  other: 'the kernel rejected the request',
};

function reasonFor(operation: IpvsOperation, errno: number): IpvsErrorReason {
  switch (errno) {
    case ERRNO.ESRCH:
      return operation === 'stop-daemon' ? 'daemon-not-running' : 'service-missing';
    case ERRNO.EEXIST:
      if (operation === 'add-destination') return 'destination-exists';
      if (operation === 'start-daemon') return 'daemon-running';
      return 'service-exists';
    case ERRNO.ENOENT:
      if (operation === 'add-service' || operation === 'update-service') return 'scheduler-or-engine-missing';
      if (operation === 'resolve-family') return 'ipvs-unavailable';
      return 'destination-missing';
    case ERRNO.EINVAL:
      return 'invalid-argument';
    case ERRNO.ERANGE:
      return 'out-of-range';
    case ERRNO.EPERM:
      return 'permission-denied';
    case ERRNO.EAFNOSUPPORT:
      return 'address-family-unsupported';
    case ERRNO.EOPNOTSUPP:
      return 'not-supported';
    case ERRNO.ENOPROTOOPT:
      return 'module-unloading';
    case ERRNO.EBUSY:
      return 'busy';
    default:
      return 'other';
  }
}

function errnoCode(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

/** The kernel refused an IPVS request. `target` names the object, for example "tcp 10.0.0.1:80 -> 10.1.0.2:80". */
export class IpvsError extends Error {
  override readonly name = 'IpvsError';
  readonly code: string;
  readonly reason: IpvsErrorReason;

  constructor(
    readonly operation: IpvsOperation,
    readonly target: string,
    readonly errno: number,
  ) {
    const reason = reasonFor(operation, errno);
    const code = errnoCode(errno);
    super(`${operation} ${target}: ${MEANING[reason]} (${code})`);
    this.code = code;
    this.reason = reason;
  }
}

/** A reply from the kernel that does not parse: short, truncated or of the wrong size. */
export class IpvsDecodeError extends Error {
  override readonly name = 'IpvsDecodeError';
}

/** A value that cannot be encoded (bad address, port out of range, name too long...). */
export class IpvsEncodeError extends Error {
  override readonly name = 'IpvsEncodeError';
}

/** The socket failed, closed, timed out, or lost replies (ENOBUFS); the outcome of the affected requests is unknown. */
export class IpvsTransportError extends Error {
  override readonly name = 'IpvsTransportError';
}

/** A write not sent because one it depends on failed (a destination of a service whose creation failed). */
export class IpvsSkippedError extends Error {
  override readonly name = 'IpvsSkippedError';
}
