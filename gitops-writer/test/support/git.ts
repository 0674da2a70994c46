/** The git CLI, to check from the outside what the writer did. */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function git(gitdir: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', gitdir, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: tmpdir() },
  });
}

/** Every file of `rev` as path → text, read with `git ls-tree` and `git cat-file`. */
export function filesAt(gitdir: string, rev = 'HEAD'): Map<string, string> {
  const files = new Map<string, string>();
  for (const line of git(gitdir, 'ls-tree', '-r', '--full-tree', rev).split('\n').filter(Boolean)) {
    const [meta, path] = line.split('\t') as [string, string];
    const oid = meta.split(' ')[2] as string;
    files.set(path, git(gitdir, 'cat-file', 'blob', oid));
  }
  return files;
}

export function countLooseObjects(gitdir: string): number {
  const line = git(gitdir, 'count-objects', '-v').split('\n').find((l) => l.startsWith('count:')) ?? 'count: 0';
  return Number(line.split(' ')[1]);
}

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
