import type { V1Node } from '@kubernetes/client-node';
import { nodeAddresses } from './node-addresses.js';

const node = (...addresses: [string, string][]): V1Node => ({ status: { addresses: addresses.map(([type, address]) => ({ type, address })) } });

describe('nodeAddresses', () => {
  it('takes every InternalIP and ExternalIP, IPv4 and IPv6, sorted and once', () => {
    const nodes = [
      node(['InternalIP', '10.0.0.12'], ['ExternalIP', '203.0.113.9'], ['Hostname', 'node-b'], ['InternalIP', 'fd00::12']),
      node(['InternalIP', '10.0.0.11'], ['ExternalDNS', 'node-a.example.com'], ['ExternalIP', '203.0.113.9']),
      {},
    ];
    expect(nodeAddresses(nodes)).toEqual(['10.0.0.11', '10.0.0.12', '203.0.113.9', 'fd00::12']);
  });
});
