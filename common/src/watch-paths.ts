/**
 * A service's build context directory and watch paths (issue 37): how users write them,
 * how they are normalised and checked, and which files a list of watch paths matches.
 * Pure; patterns are parsed by `ignore` (the gitignore spec), case-sensitive as git is.
 */
import ignore from 'ignore';

/** At most this many patterns per service. */
export const WATCH_PATHS_MAX = 50;
/** At most this many characters per pattern. */
export const WATCH_PATH_LENGTH_MAX = 255;

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * The patterns of what a user typed: each entry split on commas (a comment line, `#…`, is
 * kept whole), every pattern trimmed of spaces, empty ones dropped, and a leading `./`
 * read as the repository root (`./apps/web` is `/apps/web`).
 */
export function normaliseWatchPaths(entries: readonly string[]): string[] {
  const patterns: string[] = [];
  for (const entry of entries) {
    for (const line of entry.split(/\r?\n/)) {
      const trimmed = line.trim();
      const parts = trimmed.startsWith('#') ? [trimmed] : trimmed.split(',');
      for (const part of parts) {
        const pattern = part.trim().replace(/^(!?)\.\/+/, '$1/');
        if (pattern !== '') patterns.push(pattern);
      }
    }
  }
  return patterns;
}

/** Why a (normalised) pattern cannot be used, or null when it can. */
export function watchPathProblem(pattern: string): string | null {
  if (pattern.length > WATCH_PATH_LENGTH_MAX) return `At most ${String(WATCH_PATH_LENGTH_MAX)} characters.`;
  if (hasControl(pattern)) return 'A pattern may not contain control characters.';
  if (pattern.startsWith('#')) return null;
  const body = pattern.startsWith('!') ? pattern.slice(1) : pattern;
  if (body.replace(/\//g, '') === '') return `${JSON.stringify(pattern)} matches nothing: name a file, a folder or a glob (apps/web/**).`;
  if (body.split('/').includes('..')) return 'Patterns are relative to the repository root: ".." is not allowed.';
  try {
    ignore({ ignorecase: false }).add(body).ignores('a');
  } catch {
    return `${JSON.stringify(pattern)} is not a valid pattern.`;
  }
  return null;
}

/** One compiled pattern: whether it re-includes (`!`), and its matcher. */
interface CompiledPattern {
  pattern: string;
  negative: boolean;
  matcher: ReturnType<typeof ignore>;
}

/**
 * Decides which files a list of watch paths selects, gitignore-style: a pattern matches a
 * file when it matches the file's path or one of its folders (`apps/web/` takes everything
 * under it; without a `/` but at the end, `web` matches at any depth; a leading `/` anchors
 * at the root; `**` spans folders). The last pattern that matches decides: `!` takes the
 * file out again, and a later pattern can put it back. Unlike `.gitignore`, a file can be
 * taken back out of (or into) a folder another pattern selected whole.
 */
export class WatchPaths {
  private readonly compiled: CompiledPattern[];

  constructor(patterns: readonly string[]) {
    this.compiled = patterns
      .filter((pattern) => !pattern.startsWith('#') && watchPathProblem(pattern) === null)
      .map((pattern) => {
        const negative = pattern.startsWith('!');
        return { pattern, negative, matcher: ignore({ ignorecase: false }).add(negative ? pattern.slice(1) : pattern) };
      });
  }

  /** No pattern at all: every push builds. */
  get empty(): boolean {
    return this.compiled.length === 0;
  }

  /** The pattern that selects `file` (a path relative to the root, no leading `/`), or null when none does. */
  selectedBy(file: string): string | null {
    const path = file.replace(/^\/+/, '');
    if (path === '' || !ignore.isPathValid(path)) return null;
    for (let i = this.compiled.length - 1; i >= 0; i--) {
      const rule = this.compiled[i];
      if (rule?.matcher.ignores(path)) return rule.negative ? null : rule.pattern;
    }
    return null;
  }

  matches(file: string): boolean {
    return this.selectedBy(file) !== null;
  }

  /** The first file of `files` that is selected, with the pattern that selects it. */
  firstMatch(files: Iterable<string>): { file: string; pattern: string } | null {
    for (const file of files) {
      const pattern = this.selectedBy(file);
      if (pattern !== null) return { file, pattern };
    }
    return null;
  }
}

/**
 * A build context directory as users mean it: spaces trimmed, `./` and `.` segments, repeated
 * and trailing slashes dropped; the repository root is `.`. A leading `/` is left for the
 * schema to refuse.
 */
export function normaliseContextDir(input: string): string {
  const trimmed = input.trim();
  const leading = trimmed.startsWith('/') ? '/' : '';
  const segments = trimmed.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.length === 0) return leading || '.';
  return `${leading}${segments.join('/')}`;
}
