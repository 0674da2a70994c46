import { commitUrl, formatDuration, formatRelative, shortSha } from './format';

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [4_400, '4 s'],
    [59_000, '59 s'],
    [65_000, '1 min 05 s'],
    [3_600_000 + 2 * 60_000, '1 h 02 min'],
    [-1, '—'],
    [Number.NaN, '—'],
  ])('when %d ms, then %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});

describe('formatRelative', () => {
  const now = Date.parse('2026-01-10T12:00:00Z');
  it.each([
    ['2026-01-10T11:59:50Z', 'just now'],
    ['2026-01-10T11:55:00Z', '5 min ago'],
    ['2026-01-10T09:00:00Z', '3 h ago'],
    ['2026-01-08T12:00:00Z', '2 d ago'],
    ['2025-10-01T12:00:00Z', '2025-10-01'],
    ['2026-01-10T12:00:30Z', 'just now'],
    ['2026-01-10T12:05:00Z', 'in 5 min'],
    ['2026-01-13T12:00:00Z', 'in 3 d'],
    ['not a date', '—'],
  ])('when %s, then %s', (iso, expected) => {
    expect(formatRelative(iso, now)).toBe(expected);
  });
});

describe('commit links', () => {
  it('when the repo URL ends in .git, then the link drops it', () => {
    expect(commitUrl('https://github.com/a/b.git', 'abc')).toBe('https://github.com/a/b/commit/abc');
  });
  it('shortens a sha to seven characters', () => {
    expect(shortSha('0123456789abcdef')).toBe('0123456');
  });
});
