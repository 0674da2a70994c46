import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Router, type Request, type Response } from 'express';
import type { FakeGitHubUser } from './fake-github.js';

const run = promisify(execFile);

/** What the fake needs of FakeGitHub: its repositories and whose token is whose. */
export interface FakeGitHubRepoHost {
  readonly gitRepos: Map<string, string>;
  /** Repositories anyone may read, without a token. */
  readonly publicRepos: Set<string>;
  userOf(token: string): FakeGitHubUser | undefined;
}

/** GitHub's limit on the files one comparison lists. */
const COMPARE_FILES_MAX = 300;
const SHA_OR_REF = /^[A-Za-z0-9._/-]{1,255}$/;

/**
 * The repository reads of GitHub's REST API that monorepos use, answered from the real
 * bare repositories of `FakeGitHub.gitRepos` with git itself, in GitHub's shapes:
 * `GET /repos/{owner}/{repo}/git/trees/{sha}?recursive=1` and
 * `GET /repos/{owner}/{repo}/compare/{base}...{head}`. As the git server does: a public
 * repository (`publicRepos`) to anyone, a private one to a token of its owner only (404
 * without one or with anyone else's, as GitHub hides a private repository; 401 for a token
 * GitHub never issued).
 */
export class FakeGitHubRepos {
  /** When set, compare requests answer this HTTP status (GitHub having a bad day). */
  failCompareWith: number | null = null;
  /** When set, compare requests wait this long before answering (a slow GitHub). */
  compareDelayMs = 0;
  /** Every compare asked for: `owner/repo base...head`. */
  readonly compareRequests: string[] = [];
  /** Every tree asked for: `owner/repo ref`. */
  readonly treeRequests: string[] = [];

  constructor(private readonly host: FakeGitHubRepoHost) {}

  router(): Router {
    const r = Router();
    r.get('/repos/:owner/:repo/git/trees/:ref', (req, res) => {
      void this.tree(req, res);
    });
    r.get('/repos/:owner/:repo/compare/:basehead', (req, res) => {
      void this.compare(req, res);
    });
    return r;
  }

  /** The bare repository the request may read, or null once it has answered the refusal. */
  private repository(req: Request, res: Response): string | null {
    const authorization = req.get('authorization');
    const user = authorization ? this.host.userOf(authorization.replace(/^(token|bearer) /i, '')) : undefined;
    if (authorization && !user) {
      res.status(401).json({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      return null;
    }
    const owner = String(req.params.owner);
    const name = `${owner}/${String(req.params.repo)}`;
    const dir = this.host.gitRepos.get(name);
    const visible = [...this.host.publicRepos].some((repo) => repo.toLowerCase() === name.toLowerCase()) || user?.login.toLowerCase() === owner.toLowerCase();
    if (!dir || !visible) {
      res.status(404).json({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      return null;
    }
    return dir;
  }

  private async tree(req: Request, res: Response): Promise<void> {
    const ref = String(req.params.ref);
    this.treeRequests.push(`${String(req.params.owner)}/${String(req.params.repo)} ${ref}`);
    const dir = this.repository(req, res);
    if (!dir) return;
    const tree = SHA_OR_REF.test(ref) ? await git(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{tree}`]) : null;
    if (!tree) {
      res.status(404).json({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest/git/trees#get-a-tree' });
      return;
    }
    const recursive = req.query.recursive !== undefined;
    const listing = (await git(dir, ['ls-tree', '-z', '-l', ...(recursive ? ['-r', '-t'] : []), tree])) ?? '';
    const entries = listing
      .split('\0')
      .filter(Boolean)
      .map((line) => {
        const [meta = '', path = ''] = line.split('\t');
        const [mode = '', type = '', sha = '', size = '-'] = meta.split(/\s+/);
        return { path, mode, type, sha, ...(type === 'blob' ? { size: Number(size) } : {}), url: `${this.base(req)}/git/${type}s/${sha}` };
      });
    res.json({ sha: tree, url: `${this.base(req)}/git/trees/${tree}`, tree: entries, truncated: false });
  }

  private async compare(req: Request, res: Response): Promise<void> {
    const basehead = String(req.params.basehead);
    this.compareRequests.push(`${String(req.params.owner)}/${String(req.params.repo)} ${basehead}`);
    if (this.compareDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.compareDelayMs));
    const dir = this.repository(req, res);
    if (!dir) return;
    if (this.failCompareWith !== null) {
      res.status(this.failCompareWith).json({ message: 'Server Error' });
      return;
    }
    const [base = '', head = ''] = basehead.split('...');
    const [baseSha, headSha] = SHA_OR_REF.test(base) && SHA_OR_REF.test(head)
      ? [await git(dir, ['rev-parse', '--verify', '--quiet', `${base}^{commit}`]), await git(dir, ['rev-parse', '--verify', '--quiet', `${head}^{commit}`])]
      : [null, null];
    if (!baseSha || !headSha) {
      res.status(404).json({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest/commits/commits#compare-two-commits' });
      return;
    }
    const mergeBase = await git(dir, ['merge-base', baseSha, headSha]);
    if (!mergeBase) {
      res.status(404).json({ message: `No common ancestor between ${base} and ${head}.` });
      return;
    }
    const count = async (range: string) => Number((await git(dir, ['rev-list', '--count', range])) ?? '0');
    const aheadBy = await count(`${baseSha}..${headSha}`);
    const behindBy = await count(`${headSha}..${baseSha}`);
    const status = aheadBy === 0 && behindBy === 0 ? 'identical' : behindBy === 0 ? 'ahead' : aheadBy === 0 ? 'behind' : 'diverged';
    const diff = (await git(dir, ['diff', '-z', '--name-status', '-M', mergeBase, headSha])) ?? '';
    const files: Record<string, unknown>[] = [];
    const fields = diff.split('\0').filter(Boolean);
    const STATUS: Record<string, string> = { A: 'added', D: 'removed', M: 'modified', T: 'changed', R: 'renamed', C: 'copied' };
    for (let i = 0; i < fields.length; ) {
      const code = fields[i++] ?? '';
      const letter = code.charAt(0);
      if (letter === 'R' || letter === 'C') {
        const previous = fields[i++] ?? '';
        files.push({ filename: fields[i++] ?? '', status: STATUS[letter], previous_filename: previous });
      } else {
        files.push({ filename: fields[i++] ?? '', status: STATUS[letter] ?? 'modified' });
      }
    }
    res.json({
      url: `${this.base(req)}/compare/${basehead}`,
      status,
      ahead_by: aheadBy,
      behind_by: behindBy,
      total_commits: aheadBy,
      base_commit: { sha: baseSha },
      merge_base_commit: { sha: mergeBase },
      commits: [],
      files: files.slice(0, COMPARE_FILES_MAX),
    });
  }

  private base(req: Request): string {
    return `${req.protocol}://${req.get('host') ?? 'localhost'}/repos/${String(req.params.owner)}/${String(req.params.repo)}`;
  }
}

/** git's output, trimmed, or null when it fails (an unknown ref, no merge base). */
async function git(dir: string, args: string[]): Promise<string | null> {
  try {
    const { stdout } = await run('git', ['--git-dir', dir, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch {
    return null;
  }
}
