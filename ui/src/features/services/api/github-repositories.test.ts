import { findRepository, searchRepositories, type GitHubRepository } from './github-repositories';

const repo = (fullName: string, extra: Partial<GitHubRepository> = {}): GitHubRepository => ({
  id: fullName.length,
  fullName,
  private: true,
  defaultBranch: 'main',
  repoUrl: `https://github.com/${fullName}`,
  installationId: 1,
  account: fullName.split('/')[0] ?? '',
  accountType: 'User',
  ...extra,
});

const list = [repo('acme/web-shop'), repo('octocat/hello-web'), repo('octocat/Hello-World'), repo('octocat/webhooks')];

describe('searchRepositories', () => {
  it.each([
    ['', ['acme/web-shop', 'octocat/hello-web', 'octocat/Hello-World', 'octocat/webhooks']],
    ['hello', ['octocat/hello-web', 'octocat/Hello-World']],
    ['HEL wor', ['octocat/Hello-World']],
    // A repository whose own name starts with the search first.
    ['web', ['acme/web-shop', 'octocat/webhooks', 'octocat/hello-web']],
    ['acme/', ['acme/web-shop']],
    // A pasted URL finds its repository.
    ['https://github.com/octocat/hello-web.git', ['octocat/hello-web']],
    ['nothing', []],
  ])('%j finds %j', (query, names) => {
    expect(searchRepositories(list, query, 50).map((r) => r.fullName)).toEqual(names);
  });

  it('shows at most the limit, and stays fast with thousands of repositories', () => {
    const many = Array.from({ length: 5000 }, (_, i) => repo(`org-${String(i % 50)}/service-${String(i)}`));
    expect(searchRepositories(many, 'service', 50)).toHaveLength(50);
    const started = performance.now();
    for (let i = 0; i < 20; i += 1) searchRepositories(many, `org-1 service-${String(i)}`, Number.MAX_SAFE_INTEGER);
    // One keystroke searches twice (the shown options and the count): well under a frame.
    expect((performance.now() - started) / 20).toBeLessThan(16);
  });
});

describe('findRepository', () => {
  it('matches the picked or typed URL, whatever its case or .git', () => {
    expect(findRepository(list, 'https://github.com/OCTOCAT/hello-web.git')?.fullName).toBe('octocat/hello-web');
    expect(findRepository(list, ' https://github.com/octocat/hello-web ')?.fullName).toBe('octocat/hello-web');
    expect(findRepository(list, 'https://github.com/someone/else')).toBeUndefined();
    expect(findRepository(list, '')).toBeUndefined();
    expect(findRepository(undefined, 'https://github.com/octocat/hello-web')).toBeUndefined();
  });
});
