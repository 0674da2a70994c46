import { DNS_LABEL_MAX, NAME_MAX, SERVICE_NAME_PATTERN, isValidBranchName, serviceHostFor, suggestServiceName } from './names.js';

/** The host of a service made before hosts were per project (stored on its row, never recomputed). */
const legacyServiceHostFor = (userHash: string, serviceName: string) => `${userHash}-${serviceName}`;

/** A DNS-1123 label (what Kubernetes and a one-level wildcard certificate accept). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('isValidBranchName', () => {
  it.each(['main', 'feature/login', 'release/v1.2', 'a-b_c', 'fix/ünïcode'])('accepts %s', (ref) => {
    expect(isValidBranchName(ref)).toBe(true);
  });

  it.each([
    '', 'a..b', 'a b', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[b', 'a\\b', '/a', 'a/', 'a//b', 'a.',
    '.a', 'a/.b', 'a.lock', 'a/b.lock/c', '@', 'a@{1}', '-x', 'a\nb', 'a\u0000b', 'x'.repeat(256),
  ])('rejects %j', (ref) => {
    expect(isValidBranchName(ref)).toBe(false);
  });
});

describe('suggestServiceName', () => {
  it.each([
    ['hello', 'hello'],
    ['My_App.web', 'my-app-web'],
    ['api--v2', 'api-v2'],
    ['2048', 'app-2048'],
    ['-._', 'app'],
    ['site.git', 'site'],
    ['.github', 'github'],
  ])('suggests %j → %j', (repository, name) => {
    expect(suggestServiceName(repository)).toBe(name);
  });

  it('fits the length limit and the service-name rule, and skips taken names', () => {
    const long = suggestServiceName(`${'a'.repeat(55)}-b-c`);
    expect(long.length).toBeLessThanOrEqual(NAME_MAX);
    expect(long).toMatch(SERVICE_NAME_PATTERN);
    expect(suggestServiceName('web', ['web', 'web-2'])).toBe('web-3');
    const taken = suggestServiceName('x'.repeat(70), ['x'.repeat(NAME_MAX)]);
    expect(taken).toBe(`${'x'.repeat(NAME_MAX - 2)}-2`);
    for (const name of ['A', '__', '9lives', 'a-'.repeat(40), 'Hello World!', 'x'.repeat(100)]) {
      expect(suggestServiceName(name)).toMatch(SERVICE_NAME_PATTERN);
    }
  });
});

describe('serviceHostFor', () => {
  const long = (prefix: string, length: number) => `${prefix}${'x'.repeat(length - prefix.length)}`;

  it.each([
    // [user hash, project, service, host]
    ['ab12cd', 'staging', 'web', 'ab12cd-staging--web'],
    ['ab12cd', 'prod', 'web', 'ab12cd-prod--web'],
    ['0a1b2c', 'p', 's', '0a1b2c-p--s'],
    // Hyphens in the names: the `--` keeps the two apart.
    ['ab12cd', 'a-b', 'c', 'ab12cd-a-b--c'],
    ['ab12cd', 'a', 'b-c', 'ab12cd-a--b-c'],
    // Exactly 63: kept whole.
    ['ab12cd', long('p', 27), long('s', 27), `ab12cd-${long('p', 27)}--${long('s', 27)}`],
    // 64 and more: both cut to 21 (or the short one whole), and a digest of the whole.
    ['ab12cd', long('p', 28), long('s', 27), /^ab12cd-px{20}--sx{20}--[0-9a-f]{10}$/],
    ['ab12cd', long('p', 56), 'web', /^ab12cd-px{38}--web--[0-9a-f]{10}$/],
    ['ab12cd', 'shop', long('s', 56), /^ab12cd-shop--sx{37}--[0-9a-f]{10}$/],
    ['ab12cd', long('p', 56), long('s', 56), /^ab12cd-px{20}--sx{20}--[0-9a-f]{10}$/],
    // A cut never ends in a hyphen (nor makes a `---`).
    ['ab12cd', `${'a'.repeat(20)}-b${'c'.repeat(30)}`, long('s', 30), /^ab12cd-a{20}--sx{20}--[0-9a-f]{10}$/],
  ] as [string, string, string, string | RegExp][])('%s / %s / %s → %s', (hash, project, service, expected) => {
    const host = serviceHostFor(hash, project, service);
    if (typeof expected === 'string') expect(host).toBe(expected);
    else expect(host).toMatch(expected);
    expect(host.length).toBeLessThanOrEqual(DNS_LABEL_MAX);
    expect(host).toMatch(DNS_LABEL);
  });

  it('staging/web and prod/web of one user get two hosts, neither one of the first scheme', () => {
    const staging = serviceHostFor('ab12cd', 'staging', 'web');
    const prod = serviceHostFor('ab12cd', 'prod', 'web');
    expect(staging).not.toBe(prod);
    expect([staging, prod]).not.toContain(legacyServiceHostFor('ab12cd', 'web'));
  });

  it('is the same for the same names (it is stored, but the preview must match)', () => {
    const project = long('p', 56);
    expect(serviceHostFor('ab12cd', project, 'web')).toBe(serviceHostFor('ab12cd', project, 'web'));
  });

  it('gives distinct names distinct hosts, none equal to a host of the first scheme', () => {
    // Every name that splits `a-b-c-d` or long runs differently, for two users: the cases a
    // plain `{service}-{project}` join would merge, and cuts of names sharing their first 21.
    const names = ['a', 'b', 'c', 'a-b', 'b-c', 'a-b-c', 'c-d', 'b-c-d', 'a-b-c-d', 'web', 'web-v2', 'v2-web',
      long('p', 56), `${long('p', 55)}q`, long('s', 40), `${long('s', 39)}t`, `${'a'.repeat(21)}-${'z'.repeat(34)}`];
    const hosts = new Map<string, string>();
    const legacy = new Set<string>();
    for (const hash of ['ab12cd', 'zz99yy']) {
      for (const project of names) {
        legacy.add(legacyServiceHostFor(hash, project));
        for (const service of names) {
          const host = serviceHostFor(hash, project, service);
          const pair = `${hash}/${project}/${service}`;
          expect({ host, pair: hosts.get(host) ?? pair }).toEqual({ host, pair });
          hosts.set(host, pair);
          expect(host.length).toBeLessThanOrEqual(DNS_LABEL_MAX);
          expect(host).toMatch(DNS_LABEL);
        }
      }
    }
    expect(hosts.size).toBe(2 * names.length * names.length);
    expect([...hosts.keys()].filter((host) => legacy.has(host))).toEqual([]);
  });
});
