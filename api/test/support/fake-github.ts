import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { basename, dirname } from 'node:path';
import express from 'express';
import { FakeGitHubApp, page } from './fake-github-app.js';
import { FakeGitHubRepos } from './fake-github-repos.js';

export interface FakeGitHubUser {
  id: number;
  login: string;
}

/**
 * A local fake of the parts of GitHub the platform calls: the OAuth web flow
 * (authorize, token exchange with PKCE verification), a few REST endpoints and git
 * over HTTPS. It answers as GitHub documents those calls, refusals included: the token
 * exchange is form-encoded unless the client asks for JSON, a membership may be
 * `pending`, a commit status takes only GitHub's four states. What else the tests
 * simulate, and why: docs/architecture.md#what-the-tests-simulate.
 */
export interface FakeCommitStatus {
  repo: string;
  sha: string;
  /** Whose token posted it. */
  login: string;
  state: string;
  targetUrl: string | null;
  description: string | null;
  context: string | null;
}

/** The states GitHub takes for a commit status; any other is a 422. */
const COMMIT_STATES = ['error', 'failure', 'pending', 'success'];

export class FakeGitHub {
  url = '';
  /** Who "consents" on the authorize page. */
  user: FakeGitHubUser = { id: 4242, login: 'octocat' };
  /** `deny`: the user clicks Cancel; `token-error`: the token exchange fails. */
  mode: 'consent' | 'deny' | 'token-error' = 'consent';
  readonly clientId = 'Iv1.fakeclientid';
  readonly clientSecret = 'fake-client-secret';
  readonly branches = new Map<string, { sha: string; message: string }>();
  /** Commit statuses posted, in order (`POST /repos/:owner/:repo/statuses/:sha`). */
  readonly statuses: FakeCommitStatus[] = [];
  /** When set, status posts answer this HTTP status instead (GitHub having a bad day). */
  failStatusesWith: number | null = null;
  /** Trees and comparisons of `gitRepos` (fake-github-repos.ts), for monorepos. */
  readonly repos: FakeGitHubRepos = new FakeGitHubRepos(this);
  /** When set, branch lists answer this instead (a rate limit: 403 with `x-ratelimit-*` headers). */
  failBranchesWith: { status: number; message: string; headers?: Record<string, string> } | null = null;
  /** Answers to give the next `GET /repos/{owner}/{repo}` instead, first first (a rate limit: 403 or 429 with `x-ratelimit-*` headers). */
  readonly failRepositoryNext: { status: number; message: string; headers?: Record<string, string> }[] = [];
  /** Every `GET /repos/{owner}/{repo}`, in order: whose user token asked (null: anonymously, or not a user's). */
  readonly repositoryRequests: { repo: string; login: string | null }[] = [];
  /** Run once before the next `GET /repos/{owner}/{repo}` is answered (what happens meanwhile on the platform). */
  beforeRepositoryAnswer: (() => Promise<void>) | undefined;
  /** Organization → lower-cased logins of its active members. */
  readonly orgs = new Map<string, Set<string>>();
  /**
   * Organization → lower-cased logins invited and not yet accepted: GitHub answers
   * their membership with `state: pending`.
   */
  readonly invitations = new Map<string, Set<string>>();
  /** The `Accept` header of every token exchange (`POST /login/oauth/access_token`), in order. */
  readonly tokenExchangeAccepts: (string | null)[] = [];
  /** When set, membership checks answer this HTTP status (GitHub down, rate limited). */
  failMembershipWith: number | null = null;
  /** The scopes the last authorize request asked for. */
  lastScopes = '';
  /**
   * Repositories served over git's smart HTTP (`owner/name` → a bare repository's path),
   * on the HTTPS origin `startGitServer` returns. Private unless listed in `publicRepos`:
   * only a token of the owner may fetch.
   */
  readonly gitRepos = new Map<string, string>();
  /** Every git request answered: who asked for which repository, and the answer. */
  readonly gitRequests: { repo: string; login: string | null; service: string; status: number }[] = [];
  /** The GitHub App API (fake-github-app.ts): manifest flow, JWTs, installations, installation tokens. */
  readonly app: FakeGitHubApp = new FakeGitHubApp(this);
  /**
   * Repositories anyone may read (`owner/name`), as a public repository on GitHub: their
   * REST answers and git fetches need no token. Every other repository is private.
   */
  readonly publicRepos = new Set<string>();
  private gitServer: HttpsServer | undefined;
  private readonly codes = new Map<string, { challenge: string; redirectUri: string; user: FakeGitHubUser }>();
  private readonly tokens = new Map<string, FakeGitHubUser>();
  private server: Server | undefined;

  /** Whose user token this is, if this fake issued it. */
  userOf(token: string): FakeGitHubUser | undefined {
    return this.tokens.get(token);
  }

  /** Every access token this fake issued to `login` (what the api holds for that user). */
  tokensOf(login: string): string[] {
    return [...this.tokens].filter(([, user]) => user.login === login).map(([token]) => token);
  }

  async start(): Promise<void> {
    const app = express();
    app.use(express.json());
    app.use(express.urlencoded({ extended: false }));
    app.use(this.app.router());

    app.get('/login/oauth/authorize', (req, res) => {
      const q = req.query as Record<string, string>;
      const redirect = new URL(q.redirect_uri ?? '');
      this.lastScopes = q.scope ?? '';
      if ((q.client_id !== this.clientId && !this.app.isClient(q.client_id)) || q.code_challenge_method !== 'S256' || !q.code_challenge) {
        res.status(400).send('bad authorize request');
        return;
      }
      if (this.mode === 'deny') {
        redirect.search = new URLSearchParams({ error: 'access_denied', state: q.state ?? '' }).toString();
      } else {
        const code = randomBytes(10).toString('hex');
        this.codes.set(code, { challenge: q.code_challenge, redirectUri: q.redirect_uri ?? '', user: this.user });
        redirect.search = new URLSearchParams({ code, state: q.state ?? '' }).toString();
      }
      res.redirect(302, redirect.toString());
    });

    app.post('/login/oauth/access_token', (req, res) => {
      const body = req.body as Record<string, string>;
      const accept = req.get('accept') ?? null;
      this.tokenExchangeAccepts.push(accept);
      // GitHub answers form-encoded unless the client asks for JSON.
      const answer = (fields: Record<string, string | number | undefined>) => {
        if (/\bapplication\/json\b/i.test(accept ?? '')) res.json(fields);
        else res.type('application/x-www-form-urlencoded').send(new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)])).toString());
      };
      // A GitHub App's client signs users in too: its tokens are user tokens of the App (`ghu_`).
      const appClient = this.app.isClient(body.client_id, body.client_secret);
      if (body.grant_type === 'refresh_token') {
        // Refreshing an expiring App user token: the refresh token is spent, a new pair given.
        // GitHub takes a refresh only with the App's client secret.
        const client = appClient && body.client_secret !== undefined;
        const redeemed = client ? this.app.userTokens.redeem(body.client_id ?? '', body.refresh_token ?? '') : undefined;
        if (!client) answer({ error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' });
        else if (!redeemed) answer({ error: 'bad_refresh_token', error_description: 'The refresh token passed is incorrect or expired.' });
        else {
          this.tokens.set(redeemed.issued.access_token, redeemed.user);
          answer({ ...redeemed.issued });
        }
        return;
      }
      const grant = this.codes.get(body.code ?? '');
      this.codes.delete(body.code ?? '');
      const verifierOk =
        grant !== undefined &&
        createHash('sha256').update(body.code_verifier ?? '').digest('base64url') === grant.challenge;
      if (
        this.mode === 'token-error' ||
        ((body.client_id !== this.clientId || body.client_secret !== this.clientSecret) && !appClient) ||
        !grant ||
        !verifierOk ||
        body.redirect_uri !== grant.redirectUri
      ) {
        // GitHub answers 200 with an error field for a bad code.
        answer({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
        return;
      }
      if (appClient) {
        const issued = this.app.issueUserToken(body.client_id ?? '', grant.user);
        this.tokens.set(issued.access_token, grant.user);
        answer({ ...issued });
        return;
      }
      const token = `gho_${randomBytes(16).toString('hex')}`;
      this.tokens.set(token, grant.user);
      answer({ access_token: token, scope: 'read:user,repo', token_type: 'bearer' });
    });

    app.get('/user', (req, res) => {
      const user = this.tokens.get((req.get('authorization') ?? '').replace(/^(token|bearer) /i, ''));
      if (!user) {
        res.status(401).json({ message: 'Bad credentials' });
        return;
      }
      res.json({ id: user.id, login: user.login, type: 'User', name: null, avatar_url: `https://avatars.githubusercontent.com/u/${String(user.id)}` });
    });

    // GitHub: 200 with state active|pending for a member, 404 for anyone else; needs read:org.
    app.get('/user/memberships/orgs/:org', (req, res) => {
      const user = this.tokens.get((req.get('authorization') ?? '').replace(/^(token|bearer) /i, ''));
      if (!user) {
        res.status(401).json({ message: 'Bad credentials' });
        return;
      }
      if (this.failMembershipWith !== null) {
        res.status(this.failMembershipWith).json({ message: 'API rate limit exceeded' });
        return;
      }
      const login = user.login.toLowerCase();
      const state = this.orgs.get(req.params.org.toLowerCase())?.has(login)
        ? 'active'
        : this.invitations.get(req.params.org.toLowerCase())?.has(login)
          ? 'pending'
          : undefined;
      if (!state) {
        res.status(404).json({ message: 'Not Found' });
        return;
      }
      res.json({ state, role: 'member', organization: { login: req.params.org }, user: { login: user.login } });
    });

    app.get('/repos/:owner/:repo', (req, res, next) => {
      // A test acts while GitHub is being asked (once), before the answer is given.
      const hook = this.beforeRepositoryAnswer;
      this.beforeRepositoryAnswer = undefined;
      if (hook) hook().then(() => next(), next);
      else next();
    });
    app.get('/repos/:owner/:repo', (req, res) => {
      const repo = `${req.params.owner}/${req.params.repo}`;
      this.repositoryRequests.push({ repo, login: this.userOf(bearerOf(req.get('authorization')))?.login ?? null });
      const failure = this.failRepositoryNext.shift();
      if (failure) {
        res.status(failure.status).set(failure.headers ?? {}).json({ message: failure.message });
        return;
      }
      const access = this.restAccess(req.get('authorization'), repo);
      const known = this.app.repositoryNamed(repo);
      if (access === 'unauthorized' && req.get('authorization')) res.status(401).json({ message: 'Bad credentials' });
      else if (access !== 'ok') res.status(404).json({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository' });
      else if (known) {
        const hidden = known.private && !this.isPublic(repo);
        const caller = this.userOf(bearerOf(req.get('authorization')));
        // To a signed-in user GitHub adds their role on it (`pull` alone on a public repository they have no role on).
        res.json({ ...this.app.repositoryJson(known), private: hidden, visibility: hidden ? 'private' : 'public', ...(caller ? { permissions: this.permissionsOf(caller.login, known) } : {}) });
      }
      else res.json({ full_name: repo, private: !this.isPublic(repo), visibility: this.isPublic(repo) ? 'public' : 'private' });
    });

    // "List branches": GitHub's short-branch objects, paginated, in name order.
    app.get('/repos/:owner/:repo/branches', (req, res) => {
      const repo = `${req.params.owner}/${req.params.repo}`;
      const access = this.restAccess(req.get('authorization'), repo);
      if (access === 'unauthorized' && req.get('authorization')) {
        res.status(401).json({ message: 'Bad credentials' });
        return;
      }
      if (access !== 'ok') {
        res.status(404).json({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest/branches/branches#list-branches' });
        return;
      }
      if (this.failBranchesWith !== null) {
        res.status(this.failBranchesWith.status).set(this.failBranchesWith.headers ?? {}).json({ message: this.failBranchesWith.message });
        return;
      }
      const prefix = `${repo}#`.toLowerCase();
      const list = [...this.branches]
        .filter(([key]) => key.toLowerCase().startsWith(prefix))
        .map(([key, head]) => ({ name: key.slice(prefix.length), commit: { sha: head.sha, url: `${this.url}/repos/${repo}/commits/${head.sha}` }, protected: false }))
        .sort((a, b) => a.name.localeCompare(b.name));
      page(req, res, list, (items) => items);
    });

    app.get('/repos/:owner/:repo/branches/{*branch}', (req, res) => {
      const params = req.params as { owner: string; repo: string; branch: string[] };
      const head = this.branches.get(`${params.owner}/${params.repo}#${params.branch.join('/')}`);
      const caller = this.restCaller(req.get('authorization'));
      const viaApp = this.app.restAccess(bearerOf(req.get('authorization')), `${params.owner}/${params.repo}`);
      if (viaApp !== undefined && viaApp !== 'ok') {
        res.status(viaApp === 'unauthorized' ? 401 : 404).json({ message: viaApp === 'unauthorized' ? 'Bad credentials' : 'Not Found' });
      } else if (caller === 'bad' && viaApp === undefined) {
        res.status(401).json({ message: 'Bad credentials' });
      } else if (caller === null && !this.isPublic(`${params.owner}/${params.repo}`)) {
        // Anonymously, GitHub answers a private repository as one that does not exist.
        res.status(404).json({ message: 'Not Found' });
      } else if (!head) {
        res.status(404).json({ message: 'Branch not found' });
      } else {
        res.json({ name: params.branch.join('/'), commit: { sha: head.sha, commit: { message: head.message } } });
      }
    });

    app.post('/repos/:owner/:repo/statuses/:sha', express.json(), (req, res) => {
      const user = this.tokens.get((req.get('authorization') ?? '').replace(/^(token|bearer) /i, ''));
      if (!user) {
        res.status(401).json({ message: 'Bad credentials' });
        return;
      }
      if (this.failStatusesWith !== null) {
        res.status(this.failStatusesWith).json({ message: 'Server Error' });
        return;
      }
      const body = req.body as Record<string, unknown>;
      if (typeof body.state !== 'string' || !COMMIT_STATES.includes(body.state)) {
        res.status(422).json({
          message: 'Validation Failed',
          errors: [{ resource: 'Status', code: 'custom', field: 'state', message: 'state is not included in the list' }],
          documentation_url: 'https://docs.github.com/rest/commits/statuses#create-a-commit-status',
        });
        return;
      }
      const status: FakeCommitStatus = {
        repo: `${req.params.owner}/${req.params.repo}`,
        sha: req.params.sha,
        login: user.login,
        state: body.state,
        targetUrl: typeof body.target_url === 'string' ? body.target_url : null,
        description: typeof body.description === 'string' ? body.description : null,
        context: typeof body.context === 'string' ? body.context : null,
      };
      this.statuses.push(status);
      res.status(201).json({ id: this.statuses.length, state: status.state, context: status.context });
    });

    app.use(this.repos.router());

    await new Promise<void>((resolve) => {
      this.server = app.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.server?.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.gitServer ? this.gitServer.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /**
   * Serves `gitRepos` over HTTPS on `host` (fetch only), checking credentials as GitHub does:
   * a public repository (`publicRepos`) to anyone, a private one to Basic auth whose password
   * is a token this fake issued (any user name, e.g. `x-access-token`) of the repository's
   * owner. No credentials for a private one, or a token this fake never issued: 401 with a
   * Basic challenge; someone else's token: 404. The protocol is git's own (`git http-backend`).
   * Returns the origin, e.g. `https://10.88.0.1:40123`.
   */
  async startGitServer(opts: { host: string; port?: number; cert: string | Buffer; key: string | Buffer }): Promise<string> {
    const server = createHttpsServer({ cert: opts.cert, key: opts.key }, (req, res) => {
      this.serveGit(req, res);
    });
    this.gitServer = server;
    await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host, resolve));
    return `https://${opts.host}:${String((server.address() as AddressInfo).port)}`;
  }

  // --- public and private repositories, as GitHub tells them apart -------------------

  /** A user's `permissions` on a repository, as GitHub answers them: the owner's are all; a collaborator's from `app.pulls.setPermission`. */
  private permissionsOf(login: string, repository: { owner: string; name: string }) {
    const role = login.toLowerCase() === repository.owner.toLowerCase() ? 'admin' : this.app.pulls.permissions.get(`${repository.owner}/${repository.name}`.toLowerCase())?.get(login.toLowerCase()) ?? 'read';
    const at = ['read', 'triage', 'write', 'maintain', 'admin'].indexOf(role === 'none' ? 'read' : role);
    return { admin: at >= 4, maintain: at >= 3, push: at >= 2, triage: at >= 1, pull: true };
  }

  private isPublic(repo: string): boolean {
    return [...this.publicRepos].some((name) => name.toLowerCase() === repo.toLowerCase());
  }

  /**
   * Whether a REST request with `authorization` may read `repo`: the App's tokens as the App
   * half decides (installation tokens, App user tokens), any other as `readable` does.
   */
  private restAccess(authorization: string | undefined, repo: string): 'ok' | 'unauthorized' | 'not-found' {
    return this.app.restAccess(bearerOf(authorization), repo) ?? this.readable(repo, this.restCaller(authorization));
  }

  /** The caller of a REST request: a user, `null` without credentials, `bad` for a token this fake never issued. */
  private restCaller(authorization: string | undefined): FakeGitHubUser | null | 'bad' {
    if (authorization === undefined || authorization === '') return null;
    return this.tokens.get(authorization.replace(/^(token|bearer) /i, '')) ?? 'bad';
  }

  /**
   * Whether `caller` may read `repo`, as GitHub decides: anyone reads a public repository
   * (but bad credentials are refused even there); a private one needs its owner's token,
   * asks for credentials when there are none, and is "not found" to anyone else.
   */
  private readable(repo: string, caller: FakeGitHubUser | null | 'bad'): 'ok' | 'unauthorized' | 'not-found' {
    if (caller === 'bad') return 'unauthorized';
    if (this.isPublic(repo)) return 'ok';
    if (caller === null) return 'unauthorized';
    return caller.login.toLowerCase() === repo.split('/')[0]?.toLowerCase() ? 'ok' : 'not-found';
  }

  private serveGit(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://git.invalid');
    const match = /^\/([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+?)(?:\.git)?\/(info\/refs|git-upload-pack)$/.exec(url.pathname);
    const service = url.searchParams.get('service') ?? match?.[3] ?? '';
    const record = (repo: string, login: string | null, status: number) => this.gitRequests.push({ repo, login, service, status });
    if (!match || (match[3] === 'info/refs' && service !== 'git-upload-pack')) {
      // Pushes and the dumb protocol are not served.
      record(match ? `${match[1]}/${match[2]}` : url.pathname, null, 403);
      res.writeHead(403).end('fetch only\n');
      return;
    }
    const [, owner = '', name = '', endpoint = ''] = match;
    const repo = `${owner}/${name}`;
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const password = basic === undefined ? undefined : Buffer.from(basic, 'base64').toString('utf8').split(':').slice(1).join(':');
    // An installation token: only for the repositories it was minted for.
    const installationAccess = password === undefined ? undefined : this.app.gitAccess(password, repo);
    if (installationAccess !== undefined && installationAccess !== 200) {
      record(repo, 'installation', installationAccess);
      res.writeHead(installationAccess, installationAccess === 401 ? { 'WWW-Authenticate': 'Basic realm="GitHub"' } : {}).end(installationAccess === 401 ? 'Invalid username or token.\n' : 'Repository not found.\n');
      return;
    }
    const user = installationAccess === 200 ? { id: 0, login: owner } : password === undefined ? null : (this.tokens.get(password) ?? 'bad');
    const login = user === null || user === 'bad' ? null : user.login;
    const access = this.readable(repo, user);
    const dir = this.gitRepos.get(repo);
    if (access === 'unauthorized') {
      record(repo, null, 401);
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="GitHub"' }).end('Invalid username or token.\n');
      return;
    }
    if (access === 'not-found' || !dir) {
      record(repo, login, 404);
      res.writeHead(404).end('Repository not found.\n');
      return;
    }
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: dirname(dir),
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: `/${basename(dir)}/${endpoint}`,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
        ...(login === null ? {} : { REMOTE_USER: login }),
        // GitHub lets a fetch ask for any commit by its id, as builds do.
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'uploadpack.allowAnySHA1InWant',
        GIT_CONFIG_VALUE_0: 'true',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    // A CGI answer: headers (with `Status:`), a blank line, the body.
    let head = Buffer.alloc(0);
    let headersSent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const text = head.toString('latin1');
      const end = text.search(/\r?\n\r?\n/);
      if (end === -1) return;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of text.slice(0, end).split(/\r?\n/)) {
        const colon = line.indexOf(':');
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[key] = value;
      }
      record(repo, login, status);
      res.writeHead(status, headers);
      headersSent = true;
      const bodyStart = end + (/\r?\n\r?\n/.exec(text.slice(end))?.[0].length ?? 2);
      res.write(head.subarray(bodyStart));
    });
    child.on('close', (code) => {
      if (!headersSent) {
        record(repo, login, 500);
        res.writeHead(500).end(`git http-backend exited ${String(code)}\n`);
        return;
      }
      res.end();
    });
  }
}

function bearerOf(authorization: string | undefined): string {
  return (authorization ?? '').replace(/^(token|bearer) /i, '');
}
