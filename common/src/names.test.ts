import { isValidBranchName } from './names.js';

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
