import { describe, expect, it } from 'vitest';
import { selectsPods, sliceMatters } from '../../../src/speaker/relevantChanges.js';
import { endpointSlice, virtualServer } from './desired/fixtures.js';

describe('relevant watch events', () => {
  const byService = virtualServer('web', { vip: '192.0.2.10' });
  const bySelector = virtualServer('sel', { vip: '192.0.2.11', spec: { realServers: { selector: { matchLabels: { app: 'web' } } } } });

  it('takes a slice only when a VirtualServer of its namespace names its Service', () => {
    expect(sliceMatters(endpointSlice('web', []), [byService])).toBe(true);
    expect(sliceMatters(endpointSlice('other', []), [byService])).toBe(false);
    expect(sliceMatters(endpointSlice('web', []), [])).toBe(false);
    expect(sliceMatters({ endpoints: [], addressType: 'IPv4', metadata: { name: 'x' } }, [byService])).toBe(false);
  });

  it('takes pods only where a VirtualServer selects pods', () => {
    expect(selectsPods([byService, bySelector])).toBe(true);
    expect(selectsPods([byService])).toBe(false);
    expect(selectsPods([])).toBe(false);
  });
});
