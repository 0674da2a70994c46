// The repository's commit-msg hook (.githooks/commit-msg, scripts/check-commit-msg.mjs)
// refuses a subject over 72 characters and lets one of 72 through: real git commits in a
// scratch repository that uses the hook as a clone does (`core.hooksPath`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let repo: string;

function git(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(
    'git',
    ['-c', `core.hooksPath=${join(root, '.githooks')}`, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args],
    { cwd: repo, encoding: 'utf8' },
  );
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const subjects = (): string[] => {
  const log = git('log', '--format=%s');
  return log.status === 0 ? log.stdout.split('\n').filter((line) => line !== '') : [];
};

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'dangus-commit-msg-'));
  expect(git('init', '-q').status).toBe(0);
});

afterEach(() => {
  rmSync(repo, { recursive: true, force: true });
});

describe('the commit-msg hook', () => {
  it('commits a subject of 72 characters, with a longer body', () => {
    const subject = 's'.repeat(72);
    const run = git('commit', '--allow-empty', '-m', subject, '-m', 'b'.repeat(200));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(subjects()).toEqual([subject]);
  });

  it('refuses a subject of 73 characters and says why', () => {
    const run = git('commit', '--allow-empty', '-m', 's'.repeat(73));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('the subject is 73 characters, more than 72');
    expect(subjects()).toEqual([]);
  });

  it('counts characters, not bytes', () => {
    const subject = 'é'.repeat(72);
    expect(git('commit', '--allow-empty', '-m', subject).status).toBe(0);
    expect(subjects()).toEqual([subject]);
  });
});
