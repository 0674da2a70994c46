import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OctokitGitHubApi } from '../src/github/github-api.js';
import { FakeGitHub } from './support/fake-github.js';

const exec = promisify(execFile);

/**
 * The fake GitHub tells public repositories from private ones as GitHub does, over REST and
 * over git: anyone reads a public one, a private one needs its owner's token (the REST API
 * answers 404 without one, git asks for credentials), and bad credentials are refused even
 * on a public one. What the platform relies on to build public repositories without a token.
 */
describe('the fake GitHub: public and private repositories', () => {
  const github = new FakeGitHub();
  let dir: string;
  let origin: string;
  let head: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dangus-fake-github-'));
    await exec('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    await github.start();
    origin = await github.startGitServer({ host: '127.0.0.1', cert: await readFile(join(dir, 'cert.pem')), key: await readFile(join(dir, 'key.pem')) });
    const work = join(dir, 'work');
    const bare = join(dir, 'app.git');
    await exec('git', ['init', '--quiet', '-b', 'main', work]);
    await exec('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '--allow-empty', '-m', 'one']);
    await exec('git', ['clone', '--quiet', '--bare', work, bare]);
    head = (await exec('git', ['-C', work, 'rev-parse', 'HEAD'])).stdout.trim();
    github.gitRepos.set('octo/site', bare);
    github.gitRepos.set('octo/vault', bare);
    github.publicRepos.add('octo/site');
    github.branches.set('octo/site#main', { sha: head, message: 'one' });
    github.branches.set('octo/vault#main', { sha: head, message: 'one' });
  });
  afterAll(async () => {
    await github.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** `git ls-remote` as the build's fetch step runs git: no prompt, optionally a Basic header. */
  async function lsRemote(repo: string, password?: string): Promise<{ ok: boolean; out: string }> {
    const auth = password === undefined ? [] : ['-c', `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${password}`).toString('base64')}`];
    try {
      const { stdout } = await exec('git', ['-c', 'http.sslVerify=false', ...auth, 'ls-remote', `${origin}/${repo}.git`], {
        env: { PATH: process.env.PATH ?? '', HOME: dir, GIT_TERMINAL_PROMPT: '0' },
      });
      return { ok: true, out: stdout };
    } catch (error) {
      return { ok: false, out: String((error as { stderr?: string }).stderr ?? error) };
    }
  }

  it('git: a public repository is fetched without credentials; a private one asks for them; bad credentials are refused', async () => {
    const site = await lsRemote('octo/site');
    expect(site).toEqual({ ok: true, out: expect.stringContaining(`${head}\trefs/heads/main`) as string });
    expect(github.gitRequests.at(-1)).toEqual({ repo: 'octo/site', login: null, service: 'git-upload-pack', status: 200 });

    const vault = await lsRemote('octo/vault');
    expect(vault.ok).toBe(false);
    expect(github.gitRequests.at(-1)).toEqual({ repo: 'octo/vault', login: null, service: 'git-upload-pack', status: 401 });

    // An empty token is still credentials, and wrong ones: refused even on a public repository.
    expect((await lsRemote('octo/site', '')).ok).toBe(false);
    expect(github.gitRequests.at(-1)?.status).toBe(401);
  });

  it('REST, anonymously: a public repository and its branches answer; a private one is 404, as one that does not exist', async () => {
    const api = new OctokitGitHubApi(github.url);
    expect(await api.repoVisibility('octo', 'site')).toBe('public');
    expect(await api.repoVisibility('octo', 'vault')).toBe('hidden');
    expect(await api.repoVisibility('octo', 'missing')).toBe('hidden');
    expect(await api.branchHead(null, 'octo', 'site', 'main')).toEqual({ sha: head, message: 'one' });
    await expect(api.branchHead(null, 'octo', 'vault', 'main')).rejects.toThrow('GitHub has no branch "main" in octo/vault, or the repository is not public.');
    // A token the fake never issued is refused, public repository or not.
    await expect(api.branchHead('gho_forged', 'octo', 'site', 'main')).rejects.toThrow(/HTTP 401/);
  });
});
