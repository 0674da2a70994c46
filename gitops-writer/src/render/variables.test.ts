import { SERVICE_CONFIG_FIELDS } from '@dangus/common';
import { SETTINGS, service, tenant } from '../../test/support/fixtures.js';
import { DEFAULT_EGRESS_DENIED_CIDRS } from './input-schema.js';
import { VARIABLE_CATALOG, variableOf } from './variable-catalog.js';
import { buildJobName, egressDenied, gitCloneUrl, serviceVariables } from './variables.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('buildJobName', () => {
  it.each([
    ['web', 'web-build-0123456'],
    ['a'.repeat(56), `${'a'.repeat(49)}-build-0123456`],
    // Cut right after a dash: the dash goes too, a name cannot hold "--build".
    [`${'a'.repeat(48)}-xyz`, `${'a'.repeat(48)}-build-0123456`],
  ])('%s builds as %s, at most 63 characters', (service, expected) => {
    expect(buildJobName(service, SHA)).toBe(expected);
    expect(buildJobName(service, SHA).length).toBeLessThanOrEqual(63);
  });
});

describe('gitCloneUrl', () => {
  it.each([
    ['https://github.com/acme/web', 'https://github.com/acme/web.git'],
    ['https://github.com/acme/web.git', 'https://github.com/acme/web.git'],
  ])('clones %s from %s', (repoUrl, expected) => {
    expect(gitCloneUrl(repoUrl)).toBe(expected);
  });

  it('keeps the repository path on the configured source origin (a mirror, a test server)', () => {
    expect(gitCloneUrl('https://github.com/acme/web', 'https://10.88.0.1:8443')).toBe('https://10.88.0.1:8443/acme/web.git');
    expect(gitCloneUrl('https://github.com/acme/web.git', 'http://git.internal')).toBe('http://git.internal/acme/web.git');
  });
});

describe('egressDenied', () => {
  it('denies cloud metadata, IPv4 and IPv6, by default', () => {
    const { ipv4, ipv6 } = egressDenied({ egressDeniedCidrs: [...DEFAULT_EGRESS_DENIED_CIDRS], nodeAddresses: [] });
    expect(ipv4).toEqual(expect.arrayContaining(['169.254.0.0/16', '168.63.129.16/32']));
    expect(ipv6).toEqual(['fc00::/7', 'fe80::/10', '::1/128', 'fd00:ec2::254/128']);
  });

  it('adds every node address as a host route of its family, once', () => {
    expect(egressDenied({ egressDeniedCidrs: ['10.0.0.0/8', '203.0.113.5/32'], nodeAddresses: ['203.0.113.5', '198.51.100.7', '2001:db8::10'] })).toEqual({
      ipv4: ['10.0.0.0/8', '203.0.113.5/32', '198.51.100.7/32'],
      ipv6: ['2001:db8::10/128'],
    });
  });

  it('leaves IPv6 without exceptions when nothing IPv6 is denied (the template then opens no IPv6 at all)', () => {
    expect(egressDenied({ egressDeniedCidrs: ['10.0.0.0/8'], nodeAddresses: [] })).toEqual({ ipv4: ['10.0.0.0/8'], ipv6: [] });
  });
});

describe('configuration variables', () => {
  it('name a field in snake_case', () => {
    expect(['repoUrl', 'dockerfilePath', 'healthCheckPath', 'port'].map(variableOf)).toEqual(['repo_url', 'dockerfile_path', 'health_check_path', 'port']);
  });

  it('are every field of the service schema but the name and the size (read as service_name, cpu and memory), with its value', () => {
    const web = service(1, 'web', { storageGb: 3, healthCheckPath: '/ready', replicas: 1 });
    const values = serviceVariables(tenant(1, 'ab12cd', 'shop', [web]), web, SETTINGS) as Record<string, unknown>;
    const read = SERVICE_CONFIG_FIELDS.filter((field) => field !== 'name' && field !== 'size');
    expect(read.length).toBeGreaterThan(0);
    for (const field of read) {
      const name = variableOf(field);
      expect({ field, scope: (VARIABLE_CATALOG as Record<string, string>)[name], value: values[name] }).toEqual({
        field, scope: 'service', value: web[field],
      });
    }
    expect(values).toMatchObject({ service_name: 'web' });
  });
});
