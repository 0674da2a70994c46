import { contextDirSchema, watchPathsSchema } from './schemas.js';
import { WatchPaths, normaliseContextDir, normaliseWatchPaths } from './watch-paths.js';

const FILES = [
  'package-lock.json',
  'README.md',
  'apps/web/package.json',
  'apps/web/README.md',
  'apps/web/src/index.ts',
  'apps/web/src/App.test.ts',
  'apps/web/docs/guide.md',
  'apps/api/src/main.go',
  'apps/api/web/handler.go',
  'packages/ui/button.tsx',
  'web/index.html',
];

/** Which of FILES the patterns (as a user typed them, one per line) select. */
function selected(lines: string[]): string[] {
  const patterns = watchPathsSchema.parse(lines);
  const watch = new WatchPaths(patterns);
  return FILES.filter((file) => watch.matches(file));
}

describe('watch paths select files gitignore-style, the last match winning', () => {
  it.each<[string, string[], string[]]>([
    ['a folder with **', ['apps/web/**'], ['apps/web/package.json', 'apps/web/README.md', 'apps/web/src/index.ts', 'apps/web/src/App.test.ts', 'apps/web/docs/guide.md']],
    ['a directory pattern (trailing /) takes everything under it', ['apps/web/'], ['apps/web/package.json', 'apps/web/README.md', 'apps/web/src/index.ts', 'apps/web/src/App.test.ts', 'apps/web/docs/guide.md']],
    ['a name without a slash matches at any depth', ['web'], ['apps/web/package.json', 'apps/web/README.md', 'apps/web/src/index.ts', 'apps/web/src/App.test.ts', 'apps/web/docs/guide.md', 'apps/api/web/handler.go', 'web/index.html']],
    ['a leading / anchors at the root', ['/web'], ['web/index.html']],
    ['./ is read as the root', ['./web/'], ['web/index.html']],
    ['a root file', ['package-lock.json'], ['package-lock.json']],
    ['* stays within a folder', ['apps/*/package.json'], ['apps/web/package.json']],
    ['** spans folders', ['**/*.go'], ['apps/api/src/main.go', 'apps/api/web/handler.go']],
    ['negation takes files out', ['apps/web/**', '!**/*.md'], ['apps/web/package.json', 'apps/web/src/index.ts', 'apps/web/src/App.test.ts']],
    ['negation reaches into a folder another pattern took whole', ['apps/web/', '!apps/web/docs/'], ['apps/web/package.json', 'apps/web/README.md', 'apps/web/src/index.ts', 'apps/web/src/App.test.ts']],
    ['the last match wins: a later pattern puts a file back', ['apps/web/**', '!**/*.md', 'apps/web/README.md'], ['apps/web/package.json', 'apps/web/README.md', 'apps/web/src/index.ts', 'apps/web/src/App.test.ts']],
    ['the last match wins: an earlier pattern is overridden', ['!**/*.md', '**/*.md'], ['README.md', 'apps/web/README.md', 'apps/web/docs/guide.md']],
    ['a negation alone selects nothing', ['!apps/web/**'], []],
    ['commas split one line into patterns', ['apps/api/**, packages/**'], ['apps/api/src/main.go', 'apps/api/web/handler.go', 'packages/ui/button.tsx']],
    ['spaces around patterns are trimmed', ['   apps/api/**   ', '  !**/*.go  '], []],
    ['several lines in one entry', ['packages/**\npackage-lock.json'], ['package-lock.json', 'packages/ui/button.tsx']],
    ['a comment selects nothing and keeps its commas', ['# web, api', '/README.md'], ['README.md']],
    ['case-sensitive, as git is', ['readme.md'], []],
    ['no patterns select nothing (and every push builds)', [], []],
  ])('%s', (_name, lines, expected) => {
    expect(selected(lines)).toEqual(expected);
  });

  it('normalises what users type: commas, spaces, empty lines, ./', () => {
    expect(normaliseWatchPaths([' apps/web/** , ,packages/ui/**', '', '  ', './package-lock.json', '!./apps/web/*.md', '# a, b'])).toEqual([
      'apps/web/**',
      'packages/ui/**',
      '/package-lock.json',
      '!/apps/web/*.md',
      '# a, b',
    ]);
  });

  it('tells which pattern selected the first matching file', () => {
    const watch = new WatchPaths(['apps/api/**', 'apps/web/**', '!**/*.md']);
    expect(watch.firstMatch(['README.md', 'apps/web/README.md', 'apps/web/src/index.ts'])).toEqual({ file: 'apps/web/src/index.ts', pattern: 'apps/web/**' });
    expect(watch.firstMatch(['notes/x.md'])).toBeNull();
  });

  it.each<[string[], string, string]>([
    [['../secrets/**'], '0', '".." is not allowed'],
    [['apps/../../x'], '0', '".." is not allowed'],
    [['!'], '0', 'matches nothing'],
    [['/'], '0', 'matches nothing'],
    [['ok/**', 'a\u0000b'], '1', 'control characters'],
    [['x'.repeat(256)], '0', 'At most 255 characters'],
  ])('refuses %j, naming the pattern', (lines, index, message) => {
    const result = watchPathsSchema.safeParse(lines);
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: [Number(index)], message: expect.stringContaining(message) })]);
  });

  it('refuses more than 50 patterns, and what is not a list of strings', () => {
    expect(watchPathsSchema.safeParse(Array.from({ length: 51 }, (_, i) => `p${String(i)}/**`)).success).toBe(false);
    expect(watchPathsSchema.safeParse(['a,'.repeat(51)]).success).toBe(false);
    expect(watchPathsSchema.safeParse('apps/**').success).toBe(false);
    expect(watchPathsSchema.safeParse([1]).success).toBe(false);
  });
});

describe('the build context directory', () => {
  it.each<[string, string]>([
    ['', '.'],
    ['.', '.'],
    ['./', '.'],
    ['apps/web', 'apps/web'],
    [' ./apps//web/ ', 'apps/web'],
    ['apps/./web', 'apps/web'],
  ])('%j is %j', (input, expected) => {
    expect(normaliseContextDir(input)).toBe(expected);
    expect(contextDirSchema.parse(input)).toBe(expected);
  });

  it.each<[string, string]>([
    ['/apps/web', 'relative to the repository root'],
    ['/', 'relative to the repository root'],
    ['apps/../..', '".."'],
    ['..', '".."'],
    ['apps/we b', 'Use letters'],
    ['apps/$(id)', 'Use letters'],
    ['apps/*', 'Use letters'],
  ])('refuses %j', (input, message) => {
    const result = contextDirSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain(message);
  });
});
