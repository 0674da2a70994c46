import { NAME_MAX, SERVICE_NAME_PATTERN, isValidBranchName, suggestServiceName } from './names.js';

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
