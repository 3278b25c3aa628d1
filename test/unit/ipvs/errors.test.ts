import { describe, expect, it } from 'vitest';
import { IpvsError, type IpvsErrorReason, type IpvsOperation } from '../../../src/ipvs/errors.js';

describe('IpvsError', () => {
  it.each<[IpvsOperation, number, IpvsErrorReason, string]>([
    ['add-service', 17, 'service-exists', 'EEXIST'],
    ['add-destination', 17, 'destination-exists', 'EEXIST'],
    ['start-daemon', 17, 'daemon-running', 'EEXIST'],
    ['update-service', 3, 'service-missing', 'ESRCH'],
    ['delete-service', 3, 'service-missing', 'ESRCH'],
    ['add-destination', 3, 'service-missing', 'ESRCH'],
    ['zero', 3, 'service-missing', 'ESRCH'],
    ['stop-daemon', 3, 'daemon-not-running', 'ESRCH'],
    ['add-service', 2, 'scheduler-or-engine-missing', 'ENOENT'],
    ['update-service', 2, 'scheduler-or-engine-missing', 'ENOENT'],
    ['update-destination', 2, 'destination-missing', 'ENOENT'],
    ['delete-destination', 2, 'destination-missing', 'ENOENT'],
    ['resolve-family', 2, 'ipvs-unavailable', 'ENOENT'],
    ['add-service', 22, 'invalid-argument', 'EINVAL'],
    ['add-destination', 34, 'out-of-range', 'ERANGE'],
    ['add-service', 1, 'permission-denied', 'EPERM'],
    ['add-service', 97, 'address-family-unsupported', 'EAFNOSUPPORT'],
    ['list-destinations', 95, 'not-supported', 'ENOTSUP'], // EOPNOTSUPP: the same number on Linux
    ['add-service', 92, 'module-unloading', 'ENOPROTOOPT'],
    ['list-services', 16, 'busy', 'EBUSY'],
    ['add-service', 12, 'other', 'ENOMEM'],
  ])('%s with errno %i means %s (%s)', (operation, errno, reason, code) => {
    const error = new IpvsError(operation, 'tcp 10.0.0.1:80', errno);
    expect(error.reason).toBe(reason);
    expect(error.code).toBe(code);
    expect(error.errno).toBe(errno);
    expect(error.message).toMatch(new RegExp(`^${operation} tcp 10\\.0\\.0\\.1:80: .+ \\(${code}\\)$`));
  });

  it('says what the errno means, with the operation and object', () => {
    expect(new IpvsError('delete-service', 'udp [2001:db8::1]:53', 3).message).toBe('delete-service udp [2001:db8::1]:53: the virtual service does not exist (ESRCH)');
    expect(new IpvsError('add-service', 'tcp 10.0.0.1:80', 2).message).toBe(
      'add-service tcp 10.0.0.1:80: the scheduler or persistence engine module is not available (ENOENT)',
    );
  });
});
