import { createHmac, generateKeyPairSync, randomBytes, randomUUID, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { components } from '@octokit/openapi-types';
import express, { type Request, type Response, type Router } from 'express';
import { FakeGitHubPulls } from './fake-github-pulls.js';
import { FakeUserTokens, type IssuedUserToken } from './fake-github-user-tokens.js';
import { FakeGitHubReports } from './fake-github-reports.js';
import { pushPayload, type PushOptions } from './webhook-payloads.js';

type Schemas = components['schemas'];
type Permissions = Record<string, 'read' | 'write'>;

/**
 * The GitHub App half of the fake GitHub (mounted by FakeGitHub), answering in the shapes
 * of GitHub's REST API (typed from @octokit/openapi-types): the manifest flow (GitHub's
 * form, then `POST /app-manifests/{code}/conversions`, a code usable once), App JWTs
 * (RS256, checked against the App's public key, `iat`/`exp` checked), installation tokens
 * scoped to the repositories and permissions asked and expiring, the installations and
 * their repositories as the App and as a user see them, and the git fetch's check of an
 * installation token. Signed webhook deliveries of installation events, for a test to post.
 */

export interface FakeApp {
  id: number;
  slug: string;
  name: string;
  clientId: string;
  clientSecret: string;
  webhookSecret: string;
  pem: string;
  publicKey: KeyObject;
  owner: { login: string; id: number; type: 'User' | 'Organization' };
  permissions: Permissions;
  events: string[];
  /** The manifest GitHub received, as parsed JSON. */
  manifest: Record<string, unknown>;
}

export interface FakeRepository {
  id: number;
  owner: string;
  name: string;
  private: boolean;
  /** GitHub's `default_branch` (`main` unless set). Its branches are FakeGitHub's `branches`. */
  defaultBranch: string;
}

export interface FakeInstallation {
  id: number;
  appId: number;
  account: { login: string; id: number; type: 'User' | 'Organization' };
  selection: 'all' | 'selected';
  /** With `selected`: the repositories chosen. */
  repositoryIds: Set<number>;
  suspendedAt: string | null;
}

interface IssuedToken {
  installationId: number;
  repositoryIds: number[] | 'all';
  permissions: Permissions;
  expiresAt: number;
}

/** A signed webhook delivery, as GitHub would post it to the App's hook URL. */
export interface FakeDelivery {
  event: string;
  id: string;
  body: string;
  signature: string;
  headers: Record<string, string>;
}

/** What the fake needs of FakeGitHub: who a user token belongs to, organization membership, public repositories. */
export interface FakeGitHubHost {
  url: string;
  user: { id: number; login: string };
  userOf(token: string): { id: number; login: string } | undefined;
  readonly orgs: Map<string, Set<string>>;
  readonly publicRepos: Set<string>;
}

const RANK = { read: 1, write: 2 } as const;
const NOT_ACCESSIBLE = 'There is at least one repository that does not exist or is not accessible to the parent installation.';

export class FakeGitHubApp {
  readonly apps = new Map<number, FakeApp>();
  readonly repositories = new Map<number, FakeRepository>();
  readonly installations = new Map<number, FakeInstallation>();
  /** Every installation token request: what was asked and the HTTP status answered. */
  readonly tokenRequests: { installationId: number; repositoryIds: number[] | null; repositories: string[] | null; permissions: Permissions | null; status: number }[] = [];
  /** The App webhook's delivery log, as `GET /app/hook/deliveries` lists it (newest last). */
  readonly hookDeliveries: { id: number; delivery: FakeDelivery; action: string | null; installationId: number | null; redelivery: boolean; at: string }[] = [];
  /** Every redelivery asked (`POST /app/hook/deliveries/{id}/attempts`): the log's id. */
  readonly redeliveries: number[] = [];
  /** Every refused JWT, with GitHub's message. */
  readonly jwtRefusals: string[] = [];
  /** When set, manifest conversions answer this HTTP status. */
  failConversionWith: number | null = null;
  /** The clock of token expiry and JWT checks (ms); a test moves it. */
  now: () => number = () => Date.now();
  private readonly codes = new Map<string, { manifest: Record<string, unknown>; owner: FakeApp['owner'] }>();
  private readonly installationTokens = new Map<string, IssuedToken>();
  /** User tokens issued through an App's client: expiring (8 hours) with rotating refresh tokens, as GitHub's default. */
  readonly userTokens = new FakeUserTokens<{ id: number; login: string }>(() => this.now());
  private nextId = 9000;

  /** Check Runs and Deployments, written with installation tokens. */
  readonly reports: FakeGitHubReports;
  /** Pull requests, collaborator permissions and comments (previews, issue 35). */
  readonly pulls: FakeGitHubPulls;

  constructor(private readonly github: FakeGitHubHost) {
    this.reports = new FakeGitHubReports((token) => this.scopeOf(token), () => this.github.url);
    this.pulls = new FakeGitHubPulls((token) => this.scopeOf(token), () => this.github.url);
  }

  /** What a live installation token may reach: its repositories' names now, and its permissions. */
  private scopeOf(token: string): { repositories: string[]; permissions: Permissions } | undefined {
    const issued = this.installationTokens.get(token);
    if (!issued || issued.expiresAt <= this.now()) return undefined;
    return { repositories: this.tokenRepositories(issued).map((r) => `${r.owner}/${r.name}`), permissions: issued.permissions };
  }

  /** Whether `clientId` (and `clientSecret`, when given) is an App's client. */
  isClient(clientId: string | undefined, clientSecret?: string): boolean {
    const app = [...this.apps.values()].find((a) => a.clientId === clientId);
    return app !== undefined && (clientSecret === undefined || app.clientSecret === clientSecret);
  }

  /** A user token of the App whose client is `clientId`, for `user` (FakeGitHub's token exchange). */
  issueUserToken(clientId: string, user: { id: number; login: string }): IssuedUserToken {
    return this.userTokens.issue(clientId, user);
  }

  /** A repository on the fake GitHub (an id of its own, like GitHub's). */
  addRepository(fullName: string, options: { private?: boolean; defaultBranch?: string } = {}): FakeRepository {
    const [owner = '', name = ''] = fullName.split('/');
    const repository = { id: this.id(), owner, name, private: options.private ?? true, defaultBranch: options.defaultBranch ?? 'main' };
    this.repositories.set(repository.id, repository);
    return repository;
  }

  /** Renames a repository (its id stays, as on GitHub). */
  renameRepository(id: number, fullName: string): void {
    const repository = this.repositories.get(id);
    const [owner = '', name = ''] = fullName.split('/');
    if (repository) Object.assign(repository, { owner, name });
  }

  /** Installs `app` on `account` (all its repositories, or those listed): the installation and its `created` delivery. */
  install(
    app: FakeApp,
    account: FakeInstallation['account'],
    repositories: FakeRepository[] | 'all',
  ): { installation: FakeInstallation; delivery: FakeDelivery } {
    const installation: FakeInstallation = {
      id: this.id(),
      appId: app.id,
      account,
      selection: repositories === 'all' ? 'all' : 'selected',
      repositoryIds: new Set(repositories === 'all' ? [] : repositories.map((r) => r.id)),
      suspendedAt: null,
    };
    this.installations.set(installation.id, installation);
    const delivery = this.deliver(app, 'installation', {
      action: 'created',
      installation: this.installationBody(installation),
      repositories: this.reposOf(installation).map(repositoryRef),
      requester: null,
      sender: this.simpleUser(this.github.user.login, this.github.user.id, 'User'),
    });
    return { installation, delivery };
  }

  /** Adds or removes repositories of a `selected` installation: the `installation_repositories` delivery. */
  changeRepositories(installation: FakeInstallation, change: { add?: FakeRepository[]; remove?: FakeRepository[] }): FakeDelivery {
    const app = this.appOf(installation);
    for (const r of change.add ?? []) installation.repositoryIds.add(r.id);
    for (const r of change.remove ?? []) installation.repositoryIds.delete(r.id);
    return this.deliver(app, 'installation_repositories', {
      action: (change.add ?? []).length > 0 ? 'added' : 'removed',
      installation: this.installationBody(installation),
      repository_selection: installation.selection,
      repositories_added: (change.add ?? []).map(repositoryRef),
      repositories_removed: (change.remove ?? []).map(repositoryRef),
      requester: null,
      sender: this.simpleUser(this.github.user.login, this.github.user.id, 'User'),
    });
  }

  /** Uninstalls: the installation is gone, and its `deleted` delivery. */
  uninstall(installation: FakeInstallation): FakeDelivery {
    const app = this.appOf(installation);
    this.installations.delete(installation.id);
    return this.deliver(app, 'installation', {
      action: 'deleted',
      installation: this.installationBody(installation),
      repositories: this.reposOf(installation).map(repositoryRef),
      sender: this.simpleUser(this.github.user.login, this.github.user.id, 'User'),
    });
  }

  /**
   * A push to `repository` (a real payload: @octokit/webhooks-examples) as the App's hook
   * receives it: the repository's id and current name, the installation that holds it.
   */
  push(app: FakeApp, repository: FakeRepository, options: Omit<PushOptions, 'repo'>): FakeDelivery {
    const fullName = `${repository.owner}/${repository.name}`;
    const payload = pushPayload({ ...options, repo: fullName });
    Object.assign(payload.repository as Record<string, unknown>, { id: repository.id, node_id: `R_${String(repository.id)}`, private: repository.private });
    const installation = [...this.installations.values()].find((i) => i.appId === app.id && this.reposOf(i).some((r) => r.id === repository.id));
    if (installation) payload.installation = { id: installation.id, node_id: `I_${String(installation.id)}` };
    return this.deliver(app, 'push', payload);
  }

  /** Signs `payload` with the App's webhook secret, as GitHub does (X-Hub-Signature-256 over the raw body). */
  deliver(app: FakeApp, event: string, payload: Record<string, unknown>, guid?: string): FakeDelivery {
    const body = JSON.stringify(payload);
    const id = guid ?? randomUUID();
    const signature = `sha256=${createHmac('sha256', app.webhookSecret).update(body).digest('hex')}`;
    const delivery: FakeDelivery = {
      event,
      id,
      body,
      signature,
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': id,
        'x-hub-signature-256': signature,
        'x-github-hook-installation-target-id': String(app.id),
        'x-github-hook-installation-target-type': 'integration',
      },
    };
    const installation = payload.installation as { id?: number } | undefined;
    this.hookDeliveries.push({
      id: this.id(),
      delivery,
      action: typeof payload.action === 'string' ? payload.action : null,
      installationId: installation?.id ?? null,
      redelivery: false,
      at: new Date(this.now()).toISOString(),
    });
    return delivery;
  }

  /**
   * The git fetch's check of an installation token for `owner/name`: `undefined` when the
   * password is no installation token (FakeGitHub checks it as a user token), 401 when expired,
   * 404 when the repository is outside the token's scope or the token lacks `contents`.
   */
  gitAccess(token: string, fullName: string): 200 | 401 | 404 | undefined {
    const issued = this.installationTokens.get(token);
    if (!issued) return undefined;
    if (issued.expiresAt <= this.now()) return 401;
    const repository = [...this.repositories.values()].find((r) => `${r.owner}/${r.name}`.toLowerCase() === fullName.toLowerCase());
    if (!repository || !issued.permissions.contents) return 404;
    return this.tokenRepositories(issued).some((r) => r.id === repository.id) ? 200 : 404;
  }

  /** The repository called `owner/name` (case-insensitive, as GitHub), if the fake has it. */
  repositoryNamed(fullName: string): FakeRepository | undefined {
    return [...this.repositories.values()].find((r) => `${r.owner}/${r.name}`.toLowerCase() === fullName.toLowerCase());
  }

  /**
   * How GitHub's REST API answers `token` about `owner/name`, for the tokens of this half:
   * an installation token reads the repositories it was minted for (expired: 401); a user
   * token of an App reads public repositories, and a private one only through an
   * installation of that App the user can access (GitHub's rule: what both the user and
   * the installation reach). `undefined` for any other token (FakeGitHub decides then).
   */
  restAccess(token: string, fullName: string): 'ok' | 'unauthorized' | 'not-found' | undefined {
    const repository = this.repositoryNamed(fullName);
    const issued = this.installationTokens.get(token);
    if (issued) {
      if (issued.expiresAt <= this.now()) return 'unauthorized';
      return repository && this.tokenRepositories(issued).some((r) => r.id === repository.id) ? 'ok' : 'not-found';
    }
    const client = this.userTokens.clientOf(token);
    if (client?.expired) return 'unauthorized';
    const app = [...this.apps.values()].find((a) => a.clientId === client?.clientId);
    const user = this.github.userOf(token);
    if (!app || !user) return undefined;
    if (!repository) return 'not-found';
    if (!repository.private || [...this.github.publicRepos].some((p) => p.toLowerCase() === fullName.toLowerCase())) return 'ok';
    const reachable = [...this.installations.values()].some(
      (i) => i.appId === app.id && this.canAccess(user.login, i) && this.reposOf(i).some((r) => r.id === repository.id),
    );
    return reachable ? 'ok' : 'not-found';
  }

  /** GitHub's repository object (the fields the platform reads). */
  repositoryJson(repository: FakeRepository) {
    return this.repositoryBody(repository);
  }

  router(): Router {
    const r = express.Router();
    r.use(this.reports.router());
    r.use(this.pulls.router());

    // GitHub's "Create a GitHub App from a manifest" form: the admin confirms at once.
    const manifestForm = (owner: () => FakeApp['owner'] | undefined) => (req: Request, res: Response) => {
      const state = typeof req.query.state === 'string' ? req.query.state : '';
      let manifest: Record<string, unknown>;
      try {
        manifest = JSON.parse(String((req.body as Record<string, unknown>).manifest)) as Record<string, unknown>;
      } catch {
        res.status(422).send('Invalid manifest');
        return;
      }
      const who = owner();
      if (!who) {
        res.status(404).send('Not Found');
        return;
      }
      const code = randomBytes(10).toString('hex');
      this.codes.set(code, { manifest, owner: who });
      const redirect = new URL(String(manifest.redirect_url));
      redirect.search = new URLSearchParams({ code, state }).toString();
      res.redirect(302, redirect.toString());
    };
    r.post('/settings/apps/new', express.urlencoded({ extended: false }), manifestForm(() => ({ ...this.github.user, type: 'User' })));
    r.post('/organizations/:org/settings/apps/new', express.urlencoded({ extended: false }), (req, res) => {
      const org = req.params.org;
      manifestForm(() => (this.github.orgs.get(org.toLowerCase())?.has(this.github.user.login.toLowerCase()) ? { login: org, id: this.id(), type: 'Organization' } : undefined))(req, res);
    });

    r.post('/app-manifests/:code/conversions', (req, res) => {
      const grant = this.codes.get(req.params.code);
      this.codes.delete(req.params.code);
      if (this.failConversionWith !== null) {
        res.status(this.failConversionWith).json({ message: 'Server Error' });
        return;
      }
      if (!grant) {
        res.status(404).json({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest' });
        return;
      }
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const name = String(grant.manifest.name);
      const app: FakeApp = {
        id: this.id(),
        slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''),
        name,
        clientId: `Iv23li${randomBytes(7).toString('hex')}`,
        clientSecret: randomBytes(20).toString('hex'),
        webhookSecret: randomBytes(20).toString('hex'),
        pem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        publicKey,
        owner: grant.owner,
        permissions: (grant.manifest.default_permissions ?? {}) as Permissions,
        events: (grant.manifest.default_events ?? []) as string[],
        manifest: grant.manifest,
      };
      this.apps.set(app.id, app);
      const body: NonNullable<Schemas['integration']> & { client_id: string; client_secret: string; webhook_secret: string | null; pem: string } = {
        ...this.integration(app),
        client_id: app.clientId,
        client_secret: app.clientSecret,
        webhook_secret: app.webhookSecret,
        pem: app.pem,
      };
      res.status(201).json(body);
    });

    r.get('/app', (req, res) => {
      const app = this.authenticateApp(req, res);
      if (app) res.json(this.integration(app));
    });

    r.get('/app/installations', (req, res) => {
      const app = this.authenticateApp(req, res);
      if (!app) return;
      const list = [...this.installations.values()].filter((i) => i.appId === app.id).map((i) => this.installationBody(i));
      page(req, res, list, (items) => items);
    });

    r.get('/app/installations/:id', (req, res) => {
      const app = this.authenticateApp(req, res);
      if (!app) return;
      const installation = this.installations.get(Number(req.params.id));
      if (!installation || installation.appId !== app.id) res.status(404).json({ message: 'Not Found' });
      else res.json(this.installationBody(installation));
    });

    // "List deliveries for an app webhook": newest first, paginated by `cursor`.
    r.get('/app/hook/deliveries', (req, res) => {
      const app = this.authenticateApp(req, res);
      if (!app) return;
      const perPage = Math.min(100, Math.max(1, Number(req.query.per_page ?? 30) || 30));
      const log = [...this.hookDeliveries].reverse();
      const start = typeof req.query.cursor === 'string' ? log.findIndex((d) => String(d.id) === req.query.cursor) : 0;
      const items = start < 0 ? [] : log.slice(start, start + perPage);
      const next = start < 0 ? undefined : log[start + perPage];
      if (next) {
        const link = new URL(req.originalUrl, `http://${req.get('host') ?? 'localhost'}`);
        link.searchParams.set('cursor', String(next.id));
        res.set('Link', `<${link.toString()}>; rel="next"`);
      }
      const body: Schemas['hook-delivery-item'][] = items.map((d) => ({
        id: d.id,
        guid: d.delivery.id,
        delivered_at: d.at,
        redelivery: d.redelivery,
        duration: 0.1,
        status: 'OK',
        status_code: 200,
        event: d.delivery.event,
        action: d.action,
        installation_id: d.installationId,
        repository_id: null,
      }));
      res.json(body);
    });

    // "Redeliver a delivery for an app webhook": GitHub sends it again, same GUID.
    r.post('/app/hook/deliveries/:id/attempts', (req, res) => {
      const app = this.authenticateApp(req, res);
      if (!app) return;
      const logged = this.hookDeliveries.find((d) => String(d.id) === req.params.id);
      if (!logged) {
        res.status(404).json({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook' });
        return;
      }
      this.redeliveries.push(logged.id);
      this.hookDeliveries.push({ ...logged, id: this.id(), redelivery: true, at: new Date(this.now()).toISOString() });
      res.status(202).json({});
    });

    // "Get a repository installation for the authenticated app".
    r.get('/repos/:owner/:repo/installation', (req, res) => {
      const app = this.authenticateApp(req, res);
      if (!app) return;
      const repository = this.repositoryNamed(`${req.params.owner}/${req.params.repo}`);
      const installation = [...this.installations.values()].find((i) => i.appId === app.id && repository !== undefined && this.reposOf(i).some((x) => x.id === repository.id));
      if (!installation) res.status(404).json({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app' });
      else res.json(this.installationBody(installation));
    });

    r.post('/app/installations/:id/access_tokens', express.json(), (req, res) => {
      const app = this.authenticateApp(req, res);
      if (!app) return;
      const installation = this.installations.get(Number(req.params.id));
      const body = (req.body ?? {}) as { repositories?: unknown; repository_ids?: unknown; permissions?: unknown };
      const ids = Array.isArray(body.repository_ids) ? body.repository_ids.map(Number) : null;
      const names = Array.isArray(body.repositories) ? body.repositories.map(String) : null;
      const permissions = body.permissions && typeof body.permissions === 'object' ? (body.permissions as Permissions) : null;
      const answer = (status: number, json: unknown) => {
        this.tokenRequests.push({ installationId: Number(req.params.id), repositoryIds: ids, repositories: names, permissions, status });
        res.status(status).json(json);
      };
      if (!installation || installation.appId !== app.id) {
        answer(404, { message: 'Not Found' });
        return;
      }
      if (installation.suspendedAt) {
        answer(403, { message: 'This installation has been suspended' });
        return;
      }
      const reachable = this.reposOf(installation);
      const asked = [
        ...(ids ?? []).map((id) => reachable.find((r) => r.id === id)),
        ...(names ?? []).map((name) => reachable.find((r) => r.name === name)),
      ];
      if (asked.some((r) => r === undefined)) {
        answer(422, { message: NOT_ACCESSIBLE, documentation_url: 'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app' });
        return;
      }
      const granted = app.permissions;
      const wanted = permissions ?? granted;
      if (Object.entries(wanted).some(([name, level]) => !granted[name] || RANK[level] > RANK[granted[name]])) {
        answer(422, { message: 'The permissions requested are not granted to this installation.' });
        return;
      }
      const token = `ghs_${randomBytes(18).toString('base64url')}`;
      const scoped = ids !== null || names !== null;
      const issued: IssuedToken = {
        installationId: installation.id,
        repositoryIds: scoped ? (asked as FakeRepository[]).map((r) => r.id) : 'all',
        permissions: wanted,
        expiresAt: this.now() + 3_600_000,
      };
      this.installationTokens.set(token, issued);
      const created: Schemas['installation-token'] = {
        token,
        expires_at: new Date(issued.expiresAt).toISOString(),
        permissions: wanted,
        repository_selection: scoped ? 'selected' : installation.selection,
        ...(scoped ? { repositories: (asked as FakeRepository[]).map((repo) => this.repositoryBody(repo) as unknown as Schemas['repository']) } : {}),
      };
      answer(201, created);
    });

    r.get('/installation/repositories', (req, res) => {
      const issued = this.installationTokens.get(bearer(req));
      if (!issued || issued.expiresAt <= this.now()) {
        res.status(401).json({ message: 'Bad credentials' });
        return;
      }
      const installation = this.installations.get(issued.installationId);
      const list = installation ? this.tokenRepositories(issued).map((repo) => this.repositoryBody(repo)) : [];
      page(req, res, list, (items, total) => ({ total_count: total, repository_selection: installation?.selection ?? 'selected', repositories: items }));
    });

    r.get('/user/installations', (req, res) => {
      const viewer = this.appUser(req, res);
      if (!viewer) return;
      const list = [...this.installations.values()].filter((i) => i.appId === viewer.app.id && this.canAccess(viewer.login, i)).map((i) => this.installationBody(i));
      page(req, res, list, (items, total) => ({ total_count: total, installations: items }));
    });

    r.get('/user/installations/:id/repositories', (req, res) => {
      const viewer = this.appUser(req, res);
      if (!viewer) return;
      const installation = this.installations.get(Number(req.params.id));
      if (!installation || installation.appId !== viewer.app.id || !this.canAccess(viewer.login, installation)) {
        res.status(404).json({ message: 'Not Found' });
        return;
      }
      const list = this.reposOf(installation).map((repo) => this.repositoryBody(repo));
      page(req, res, list, (items, total) => ({ total_count: total, repository_selection: installation.selection, repositories: items }));
    });

    return r;
  }

  /** An App JWT as GitHub checks it: RS256, signed by the App's key, `iat` not in the future, `exp` within ten minutes. */
  private authenticateApp(req: Request, res: Response): FakeApp | undefined {
    const checked = this.checkJwt(bearer(req));
    if (typeof checked !== 'string') return checked;
    this.jwtRefusals.push(checked);
    res.status(401).json({ message: checked, documentation_url: 'https://docs.github.com/rest' });
    return undefined;
  }

  /** The App a JWT authenticates, or GitHub's message refusing it. */
  private checkJwt(jwt: string): FakeApp | string {
    const [header = '', payload = '', signature = ''] = jwt.split('.');
    let claims: { iat?: unknown; exp?: unknown; iss?: unknown };
    let alg: unknown;
    try {
      alg = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: unknown }).alg;
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as typeof claims;
    } catch {
      return 'A JSON web token could not be decoded';
    }
    if (alg !== 'RS256') return "'alg' must be RS256";
    const app = [...this.apps.values()].find((a) => String(a.id) === String(claims.iss) || a.clientId === claims.iss);
    if (!app) return "'Issuer' claim ('iss') must be an Integer or a Client ID";
    if (!verifySignature('RSA-SHA256', Buffer.from(`${header}.${payload}`), app.publicKey, Buffer.from(signature, 'base64url'))) {
      return 'A JSON web token could not be decoded';
    }
    const now = Math.floor(this.now() / 1000);
    if (typeof claims.iat !== 'number' || claims.iat > now + 60) return "'Issued at' claim ('iat') must be an Integer representing a time in the past";
    if (typeof claims.exp !== 'number' || claims.exp <= now) return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
    if (claims.exp - claims.iat > 600) return "'Expiration time' claim ('exp') is too far in the future";
    return app;
  }

  /** A user token issued through an App's client (`/user/installations` takes no other). */
  private appUser(req: Request, res: Response): { login: string; app: FakeApp } | undefined {
    const token = bearer(req);
    const user = this.github.userOf(token);
    const app = [...this.apps.values()].find((a) => a.clientId === this.userTokens.clientOf(token)?.clientId);
    if (!user) {
      res.status(401).json({ message: 'Bad credentials' });
      return undefined;
    }
    if (!app) {
      res.status(403).json({ message: 'You must authenticate with an access token authorized to a GitHub App in order to list installations' });
      return undefined;
    }
    return { login: user.login, app };
  }

  /** The account itself, or an active member of the organization. */
  private canAccess(login: string, installation: FakeInstallation): boolean {
    const account = installation.account.login.toLowerCase();
    return account === login.toLowerCase() || (installation.account.type === 'Organization' && (this.github.orgs.get(account)?.has(login.toLowerCase()) ?? false));
  }

  private reposOf(installation: FakeInstallation): FakeRepository[] {
    return [...this.repositories.values()].filter((r) =>
      installation.selection === 'all' ? r.owner.toLowerCase() === installation.account.login.toLowerCase() : installation.repositoryIds.has(r.id),
    );
  }

  private tokenRepositories(issued: IssuedToken): FakeRepository[] {
    const installation = this.installations.get(issued.installationId);
    if (!installation) return [];
    const reachable = this.reposOf(installation);
    return issued.repositoryIds === 'all' ? reachable : reachable.filter((r) => (issued.repositoryIds as number[]).includes(r.id));
  }

  private appOf(installation: FakeInstallation): FakeApp {
    const app = this.apps.get(installation.appId);
    if (!app) throw new Error('no such app');
    return app;
  }

  private id(): number {
    this.nextId += 1;
    return this.nextId;
  }

  private integration(app: FakeApp): NonNullable<Schemas['integration']> {
    const now = new Date(this.now()).toISOString();
    return {
      id: app.id,
      slug: app.slug,
      node_id: `A_${String(app.id)}`,
      client_id: app.clientId,
      owner: this.simpleUser(app.owner.login, app.owner.id, app.owner.type),
      name: app.name,
      description: null,
      external_url: typeof app.manifest.url === 'string' ? app.manifest.url : '',
      html_url: `${this.github.url}/apps/${app.slug}`,
      created_at: now,
      updated_at: now,
      permissions: app.permissions,
      events: app.events,
    };
  }

  private installationBody(installation: FakeInstallation): Schemas['installation'] {
    const app = this.appOf(installation);
    const now = new Date(this.now()).toISOString();
    return {
      id: installation.id,
      account: this.simpleUser(installation.account.login, installation.account.id, installation.account.type),
      repository_selection: installation.selection,
      access_tokens_url: `${this.github.url}/app/installations/${String(installation.id)}/access_tokens`,
      repositories_url: `${this.github.url}/installation/repositories`,
      html_url: `${this.github.url}/settings/installations/${String(installation.id)}`,
      app_id: app.id,
      client_id: app.clientId,
      target_id: installation.account.id,
      target_type: installation.account.type,
      permissions: app.permissions,
      events: app.events,
      created_at: now,
      updated_at: now,
      single_file_name: null,
      app_slug: app.slug,
      suspended_by: null,
      suspended_at: installation.suspendedAt,
    };
  }

  /** The fields of GitHub's repository object the platform reads (the full object has ~90). */
  private repositoryBody(repo: FakeRepository): Pick<Schemas['repository'], 'id' | 'node_id' | 'name' | 'full_name' | 'private' | 'html_url' | 'default_branch' | 'owner'> {
    return {
      id: repo.id,
      node_id: `R_${String(repo.id)}`,
      name: repo.name,
      full_name: `${repo.owner}/${repo.name}`,
      private: repo.private,
      html_url: `${this.github.url}/${repo.owner}/${repo.name}`,
      default_branch: repo.defaultBranch,
      owner: this.simpleUser(repo.owner, 1, 'User'),
    };
  }

  private simpleUser(login: string, id: number, type: string): Schemas['simple-user'] {
    const url = `${this.github.url}/users/${login}`;
    return {
      login,
      id,
      node_id: `U_${String(id)}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${String(id)}`,
      gravatar_id: '',
      url,
      html_url: `${this.github.url}/${login}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type,
      site_admin: false,
    };
  }
}

function repositoryRef(repo: FakeRepository) {
  return { id: repo.id, node_id: `R_${String(repo.id)}`, name: repo.name, full_name: `${repo.owner}/${repo.name}`, private: repo.private };
}

function bearer(req: Request): string {
  return (req.get('authorization') ?? '').replace(/^(token|bearer) /i, '');
}

/** GitHub's pagination: `per_page` (at most 100) and `page`, with a Link header to the next page. */
export function page<T>(req: Request, res: Response, list: T[], shape: (items: T[], total: number) => unknown): void {
  const perPage = Math.min(100, Math.max(1, Number(req.query.per_page ?? 30) || 30));
  const current = Math.max(1, Number(req.query.page ?? 1) || 1);
  const items = list.slice((current - 1) * perPage, current * perPage);
  if (current * perPage < list.length) {
    const next = new URL(req.originalUrl, `http://${req.get('host') ?? 'localhost'}`);
    next.searchParams.set('page', String(current + 1));
    next.searchParams.set('per_page', String(perPage));
    res.set('Link', `<${next.toString()}>; rel="next"`);
  }
  res.json(shape(items, list.length));
}
