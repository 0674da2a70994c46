import { buildJobName, gitCloneUrl } from './variables.js';

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
