import type { components } from '@octokit/openapi-types';
import express, { type Request, type Response, type Router } from 'express';
import type { TokenScope } from './fake-github-reports.js';

type Schemas = components['schemas'];
type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

/** A pull request of the fake: its head (a branch of the same repository, or of a fork) and its base. */
export interface FakePull {
  number: number;
  /** `owner/name` of the base repository and its id. */
  repo: string;
  repoId: number;
  /** Whether the base repository is private (GitHub sends `private` on every repository object). */
  repoPrivate: boolean;
  title: string;
  state: 'open' | 'closed';
  merged: boolean;
  author: string;
  headSha: string;
  headRef: string;
  /** The head's repository: the base one, a fork (another id), or null once deleted. */
  headRepo: { id: number; fullName: string } | null;
  baseRef: string;
  labels: string[];
  updatedAt: string;
}

export interface FakeComment {
  id: number;
  repo: string;
  number: number;
  body: string;
  /** Every body it had, first first (an edit appends). */
  bodies: string[];
}

/**
 * Pull requests, collaborator permissions and issue comments of the fake GitHub, in the
 * shapes of GitHub's REST API (typed from @octokit/openapi-types), for the App's installation
 * tokens: `GET /repos/{o}/{r}/collaborators/{user}/permission` (`metadata: read`), `GET
 * /repos/{o}/{r}/pulls` (`pull_requests: read`), comments on a pull request through the
 * issues API (`POST /repos/{o}/{r}/issues/{n}/comments`, `PATCH
 * /repos/{o}/{r}/issues/comments/{id}`, `pull_requests: write`). A login without a recorded
 * permission is `read` on a public repository and `none` otherwise, as GitHub answers.
 */
export class FakeGitHubPulls {
  readonly pulls: FakePull[] = [];
  readonly comments: FakeComment[] = [];
  /** `owner/name` (lower-cased) → login (lower-cased) → permission. */
  readonly permissions = new Map<string, Map<string, Permission>>();
  readonly requests: { method: string; path: string; status: number }[] = [];
  private nextId = 8_000_000;

  constructor(
    private readonly scopeOf: TokenScope,
    private readonly url: () => string,
  ) {}

  setPermission(repo: string, login: string, permission: Permission): void {
    const key = repo.toLowerCase();
    const logins = this.permissions.get(key) ?? new Map<string, Permission>();
    logins.set(login.toLowerCase(), permission);
    this.permissions.set(key, logins);
  }

  /** Opens a pull request against `repo` (`{ id, fullName }`); a fork head when `fork` names another repository. */
  open(repo: { id: number; fullName: string; private?: boolean }, options: { author: string; headSha: string; headRef?: string; baseRef?: string; fork?: { id: number; fullName: string }; title?: string }): FakePull {
    const pull: FakePull = {
      number: this.pulls.filter((p) => p.repo === repo.fullName).length + 1,
      repo: repo.fullName,
      repoId: repo.id,
      repoPrivate: repo.private ?? true,
      title: options.title ?? `Change ${String(this.pulls.length + 1)}`,
      state: 'open',
      merged: false,
      author: options.author,
      headSha: options.headSha,
      headRef: options.headRef ?? `feature-${String(this.pulls.length + 1)}`,
      headRepo: options.fork ?? { id: repo.id, fullName: repo.fullName },
      baseRef: options.baseRef ?? 'main',
      labels: [],
      updatedAt: new Date().toISOString(),
    };
    this.pulls.push(pull);
    return pull;
  }

  /** GitHub's `pull_request` webhook payload for `action` on `pull` (the fields GitHub always sends that the platform reads). */
  payload(pull: FakePull, action: string, extra: { sender?: string; label?: string } = {}): Record<string, unknown> {
    pull.updatedAt = new Date(Math.max(Date.now(), Date.parse(pull.updatedAt) + 1000)).toISOString();
    const [owner, name] = pull.repo.split('/');
    const base = { id: pull.repoId, full_name: pull.repo, name, owner: { login: owner }, private: pull.repoPrivate };
    return {
      action,
      number: pull.number,
      pull_request: this.pullBody(pull),
      repository: base,
      sender: { login: extra.sender ?? pull.author, type: 'User' },
      ...(extra.label ? { label: { name: extra.label } } : {}),
    };
  }

  router(): Router {
    const r = express.Router();
    r.get('/repos/:owner/:repo/collaborators/:username/permission', (req, res) => {
      const repo = this.authorize(req, res, 'metadata', 'read');
      if (!repo) return;
      const login = req.params.username;
      const permission = this.permissions.get(repo.toLowerCase())?.get(login.toLowerCase()) ?? 'none';
      const body: Pick<Schemas['repository-collaborator-permission'], 'permission' | 'role_name'> & { user: { login: string } } = {
        permission: permission === 'maintain' ? 'write' : permission === 'triage' ? 'read' : permission,
        role_name: permission,
        user: { login },
      };
      this.answer(req, res, 200, body);
    });
    r.get('/repos/:owner/:repo/pulls', (req, res) => {
      const repo = this.authorize(req, res, 'pull_requests', 'read');
      if (!repo) return;
      const state = typeof req.query.state === 'string' ? req.query.state : 'open';
      const base = typeof req.query.base === 'string' ? req.query.base : null;
      const list = this.pulls.filter((p) => p.repo.toLowerCase() === repo.toLowerCase() && (state === 'all' || p.state === state) && (base === null || p.baseRef === base));
      this.answer(req, res, 200, list.map((p) => this.pullBody(p)));
    });
    r.post('/repos/:owner/:repo/issues/:number/comments', (req, res) => {
      const repo = this.authorize(req, res, 'pull_requests', 'write');
      if (!repo) return;
      const body = (req.body as { body?: unknown }).body;
      if (typeof body !== 'string' || body.length === 0 || body.length > 65_536) {
        this.answer(req, res, 422, { message: 'Validation Failed', errors: [{ field: 'body', code: 'invalid' }] });
        return;
      }
      const comment: FakeComment = { id: (this.nextId += 1), repo, number: Number(req.params.number), body, bodies: [body] };
      this.comments.push(comment);
      this.answer(req, res, 201, this.commentBody(comment));
    });
    r.patch('/repos/:owner/:repo/issues/comments/:id', (req, res) => {
      const repo = this.authorize(req, res, 'pull_requests', 'write');
      if (!repo) return;
      const comment = this.comments.find((c) => c.id === Number(req.params.id) && c.repo.toLowerCase() === repo.toLowerCase());
      const body = (req.body as { body?: unknown }).body;
      if (!comment) {
        this.answer(req, res, 404, { message: 'Not Found' });
        return;
      }
      if (typeof body !== 'string' || body.length === 0) {
        this.answer(req, res, 422, { message: 'Validation Failed' });
        return;
      }
      comment.body = body;
      comment.bodies.push(body);
      this.answer(req, res, 200, this.commentBody(comment));
    });
    return r;
  }

  /** The comments on pull request `number` of `repo`. */
  commentsOn(repo: string, number: number): FakeComment[] {
    return this.comments.filter((c) => c.repo.toLowerCase() === repo.toLowerCase() && c.number === number);
  }

  private pullBody(pull: FakePull) {
    const [owner] = pull.repo.split('/');
    return {
      number: pull.number,
      title: pull.title,
      state: pull.state,
      merged: pull.merged,
      updated_at: pull.updatedAt,
      html_url: `${this.url()}/${pull.repo}/pull/${String(pull.number)}`,
      user: { login: pull.author, type: 'User' },
      labels: pull.labels.map((name) => ({ name })),
      head: {
        sha: pull.headSha,
        ref: pull.headRef,
        label: `${pull.headRepo?.fullName.split('/')[0] ?? 'unknown'}:${pull.headRef}`,
        repo: pull.headRepo ? { id: pull.headRepo.id, full_name: pull.headRepo.fullName, fork: pull.headRepo.id !== pull.repoId } : null,
      },
      base: { sha: '0'.repeat(40), ref: pull.baseRef, label: `${owner ?? ''}:${pull.baseRef}`, repo: { id: pull.repoId, full_name: pull.repo, private: pull.repoPrivate } },
    };
  }

  private commentBody(comment: FakeComment): Pick<Schemas['issue-comment'], 'id' | 'body' | 'html_url' | 'url'> {
    return {
      id: comment.id,
      body: comment.body,
      url: `${this.url()}/repos/${comment.repo}/issues/comments/${String(comment.id)}`,
      html_url: `${this.url()}/${comment.repo}/pull/${String(comment.number)}#issuecomment-${String(comment.id)}`,
    };
  }

  /** The token's repository when it has `permission` there at `level` (write covers read); else answers as GitHub does. */
  private authorize(req: Request, res: Response, permission: string, level: 'read' | 'write'): string | undefined {
    const token = (req.get('authorization') ?? '').replace(/^(token|bearer) /i, '');
    const scope = this.scopeOf(token);
    const params = req.params as Record<string, string | undefined>;
    const repo = `${params.owner ?? ''}/${params.repo ?? ''}`;
    if (!scope) {
      this.answer(req, res, 401, { message: 'Bad credentials' });
      return undefined;
    }
    if (!scope.repositories.some((r) => r.toLowerCase() === repo.toLowerCase())) {
      this.answer(req, res, 404, { message: 'Not Found' });
      return undefined;
    }
    const granted = scope.permissions[permission];
    // Every installation token reads metadata.
    if (permission !== 'metadata' && granted !== 'write' && !(level === 'read' && granted === 'read')) {
      this.answer(req, res, 403, { message: 'Resource not accessible by integration' });
      return undefined;
    }
    return repo;
  }

  private answer(req: Request, res: Response, status: number, body: unknown): void {
    this.requests.push({ method: req.method, path: req.path, status });
    res.status(status).json(body);
  }
}
