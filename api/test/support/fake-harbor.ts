import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A local Harbor, shaped by Harbor's published API (v2.0) for what the platform
 * calls: projects, project robot accounts, repositories and their artifacts. It enforces what
 * Harbor enforces for those calls (the admin's basic auth, project names, robot
 * permissions, a project must be empty to go), and it answers registry pushes
 * and pulls (`/v2/{project}/{repository}/manifests/{reference}`) with each
 * robot's permissions, so a test can try one tenant's robot on another's
 * repository. Harbor's registry authenticates through bearer tokens; this fake
 * takes the robot's basic credentials directly, which is what the token service
 * checks them against. Every call is recorded.
 *
 * As Harbor does:
 * - a repository name in a management path is URL-encoded twice (`a%252Fb` for
 *   `a/b`): the router decodes the path once, the handler decodes the name again.
 *   A name encoded once (`a%2Fb`) becomes two path segments, which no route
 *   matches: 404.
 * - a project is private unless created with `metadata.public: 'true'`. Anyone,
 *   anonymous or any robot, may pull from a public project and list its
 *   repositories; a private one answers an anonymous caller 401.
 *
 * For a real registry (the real-node tier runs distribution with `auth: token`), it also
 * serves Harbor's token service (`startTokenService`): a robot's credentials buy a JWT
 * granting, of the scopes asked, only what the robot may do in its own project.
 */

export interface FakeHarborRobot {
  id: number;
  name: string;
  secret: string;
  project: string;
  actions: string[];
}

export interface FakeHarborProject {
  /** Repository name (within the project, may hold slashes) → references (tags, digests). */
  repositories: Map<string, Set<string>>;
  /** As Harbor stores project metadata: strings; `public` is 'true' or 'false'. */
  metadata: { public: 'true' | 'false' };
}

export interface FakeHarborCall {
  method: string;
  path: string;
  status: number;
}

/** One entry of a registry token's `access` claim (distribution's token spec). */
export interface RegistryAccess {
  type: string;
  name: string;
  actions: string[];
}

/** Where the token service listens and how its tokens are made: what the registry trusts. */
export interface TokenServiceSettings {
  host: string;
  port: number;
  /** The registry's `service` (the tokens' audience) and the `issuer` it trusts. */
  service: string;
  issuer: string;
  /** The `kid` the registry knows the key by, and the key (PKCS#8 PEM, P-256: ES256). */
  keyId: string;
  privateKeyPem: string;
}

export interface FakeHarborTokenGrant {
  /** The robot that asked, or null for an anonymous request. */
  robot: string | null;
  userAgent: string;
  access: RegistryAccess[];
}

const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export class FakeHarbor {
  readonly projects = new Map<string, FakeHarborProject>();
  readonly robots = new Map<number, FakeHarborRobot>();
  readonly calls: FakeHarborCall[] = [];
  readonly admin = { username: 'admin', password: randomBytes(12).toString('hex') };
  /** Every token the token service issued, in order. */
  readonly tokenGrants: FakeHarborTokenGrant[] = [];
  /** Every token request the token service answered 503 (see {@link failTokens}), in order. */
  readonly tokenOutages: { userAgent: string; scopes: string[] }[] = [];
  private readonly outages: { userAgent: RegExp; left: number }[] = [];
  private server: Server | undefined;
  private tokenServer: Server | undefined;
  private nextRobotId = 1;
  url = '';

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.send(req, res, 500, { errors: [{ message: String(error) }] });
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  }

  async stop(): Promise<void> {
    const tokenServer = this.tokenServer;
    if (tokenServer) await new Promise((resolve) => tokenServer.close(resolve));
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /**
   * Harbor's token service, `GET /service/token?service=…&scope=…` (what its registry's
   * realm points at), on the address given: the real node's IP, which its pods and its
   * containerd reach. A robot's basic credentials get a token whose `access` holds, of the
   * `repository:{project}/…:{actions}` scopes asked, the actions the robot has on its own
   * project's repositories, and no action elsewhere (the registry then refuses); wrong
   * credentials get a 401, none an anonymous token with no access, as Harbor answers.
   * Returns the realm's URL.
   */
  async startTokenService(settings: TokenServiceSettings): Promise<string> {
    const key = createPrivateKey(settings.privateKeyPem);
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://harbor');
      if (req.method !== 'GET' || url.pathname !== '/service/token') {
        res.writeHead(req.method === 'POST' && url.pathname === '/service/token' ? 405 : 404).end();
        return;
      }
      const outage = this.outages.find((o) => o.left > 0 && o.userAgent.test(req.headers['user-agent'] ?? ''));
      if (outage) {
        outage.left -= 1;
        this.tokenOutages.push({ userAgent: req.headers['user-agent'] ?? '', scopes: url.searchParams.getAll('scope') });
        res.writeHead(503, { 'Content-Type': 'text/html' }).end('<html><body><h1>503 Service Unavailable</h1></body></html>');
        return;
      }
      const credentials = basicAuth(req);
      const robot = credentials ? this.robotOf(credentials.username, credentials.password) : undefined;
      if (credentials && !robot) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
      const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter((s) => s !== '');
      const access = scopes.map((scope) => grant(robot, scope)).filter((a): a is RegistryAccess => a !== undefined);
      this.tokenGrants.push({ robot: robot?.name ?? null, userAgent: req.headers['user-agent'] ?? '', access });
      const now = Math.floor(Date.now() / 1000);
      const token = signRegistryToken(
        {
          iss: settings.issuer,
          sub: robot?.name ?? '',
          aud: url.searchParams.get('service') ?? settings.service,
          exp: now + 1800,
          nbf: now - 10,
          iat: now,
          jti: randomBytes(12).toString('hex'),
          access,
        },
        { keyId: settings.keyId, key },
      );
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token, access_token: token, expires_in: 1800, issued_at: new Date(now * 1000).toISOString() }));
    });
    this.tokenServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.port, settings.host, resolve);
    });
    return `http://${settings.host}:${String(settings.port)}/service/token`;
  }

  /**
   * The next `count` token requests whose User-Agent matches answer `503 Service Unavailable`,
   * as Harbor's token service does while its core restarts: a client's pull fails, its retry
   * succeeds.
   */
  failTokens(userAgent: RegExp, count = 1): void {
    this.outages.push({ userAgent, left: count });
  }

  /** The robot whose credentials these are, if any. */
  robotOf(username: string, password: string): FakeHarborRobot | undefined {
    return [...this.robots.values()].find((robot) => robot.name === username && robot.secret === password);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://harbor');
    const body = await readJson(req);
    const credentials = basicAuth(req);
    if (url.pathname.startsWith('/v2/')) {
      this.registry(req, res, url.pathname, credentials);
      return;
    }
    if (!url.pathname.startsWith('/api/v2.0/')) {
      this.send(req, res, 404, { errors: [{ code: 'NOT_FOUND' }] });
      return;
    }
    // The router's one decoding of the path: `%252F` becomes `%2F`, `%2F` becomes `/`.
    const path = decodeURIComponent(url.pathname.slice('/api/v2.0'.length));
    let match: RegExpExecArray | null;
    const isAdmin = credentials?.username === this.admin.username && credentials.password === this.admin.password;
    // A public project's repositories are listed to anyone.
    const publicListing = req.method === 'GET' && (match = /^\/projects\/([^/]+)\/repositories$/.exec(path)) && this.projects.get(match[1] ?? '')?.metadata.public === 'true';
    if (!isAdmin && !publicListing) {
      this.send(req, res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'unauthorized' }] });
      return;
    }

    if (req.method === 'POST' && path === '/projects') {
      const project = body as { project_name?: unknown; metadata?: { public?: unknown } } | null;
      const name = project?.project_name;
      if (typeof name !== 'string' || !PROJECT_NAME.test(name) || name.length > 255) {
        this.send(req, res, 400, { errors: [{ code: 'BAD_REQUEST', message: 'invalid project name' }] });
        return;
      }
      const visibility = project?.metadata?.public ?? 'false';
      if (visibility !== 'true' && visibility !== 'false') {
        this.send(req, res, 400, { errors: [{ code: 'BAD_REQUEST', message: 'invalid metadata: public must be "true" or "false"' }] });
        return;
      }
      if (this.projects.has(name)) {
        this.send(req, res, 409, { errors: [{ code: 'CONFLICT', message: `project ${name} already exists` }] });
        return;
      }
      this.projects.set(name, { repositories: new Map(), metadata: { public: visibility } });
      this.send(req, res, 201, undefined);
      return;
    }
    if (req.method === 'POST' && path === '/robots') {
      const robot = body as {
        name?: unknown;
        level?: unknown;
        duration?: unknown;
        permissions?: { kind?: unknown; namespace?: unknown; access?: { resource?: unknown; action?: unknown }[] }[];
      } | null;
      const permission = robot?.permissions?.[0];
      const project = typeof permission?.namespace === 'string' ? permission.namespace : '';
      if (
        typeof robot?.name !== 'string' ||
        robot.level !== 'project' ||
        robot.permissions?.length !== 1 ||
        permission?.kind !== 'project' ||
        !this.projects.has(project) ||
        !Array.isArray(permission.access)
      ) {
        this.send(req, res, 400, { errors: [{ code: 'BAD_REQUEST', message: 'invalid robot' }] });
        return;
      }
      const name = `robot$${project}+${robot.name}`;
      if ([...this.robots.values()].some((r) => r.name === name)) {
        this.send(req, res, 409, { errors: [{ code: 'CONFLICT', message: `robot ${name} already exists` }] });
        return;
      }
      const actions = permission.access.filter((a) => a.resource === 'repository').map((a) => String(a.action));
      const created: FakeHarborRobot = { id: this.nextRobotId++, name, secret: randomBytes(16).toString('hex'), project, actions };
      this.robots.set(created.id, created);
      this.send(req, res, 201, { id: created.id, name, secret: created.secret, creation_time: new Date().toISOString() });
      return;
    }
    if (req.method === 'DELETE' && (match = /^\/robots\/(\d+)$/.exec(path))) {
      const deleted = this.robots.delete(Number(match[1]));
      this.send(req, res, deleted ? 200 : 404, undefined);
      return;
    }
    if (req.method === 'GET' && (match = /^\/projects\/([^/]+)\/repositories$/.exec(path))) {
      const name = match[1] ?? '';
      const project = this.projects.get(name);
      if (!project) {
        this.send(req, res, 404, { errors: [{ code: 'NOT_FOUND' }] });
        return;
      }
      const pageSize = Number(url.searchParams.get('page_size') ?? 10);
      const names = [...project.repositories.keys()].slice(0, pageSize).map((repo) => ({ name: `${name}/${repo}` }));
      this.send(req, res, 200, names);
      return;
    }
    if (req.method === 'DELETE' && (match = /^\/projects\/([^/]+)\/repositories\/([^/]+)\/artifacts\/([^/]+)$/.exec(path))) {
      const project = this.projects.get(match[1] ?? '');
      // The handler's second decoding of the repository name.
      const references = project?.repositories.get(decodeURIComponent(match[2] ?? ''));
      if (!references?.delete(match[3] ?? '')) {
        this.send(req, res, 404, { errors: [{ code: 'NOT_FOUND', message: 'artifact not found' }] });
        return;
      }
      this.send(req, res, 200, undefined);
      return;
    }
    if (req.method === 'DELETE' && (match = /^\/projects\/([^/]+)\/repositories\/([^/]+)$/.exec(path))) {
      const project = this.projects.get(match[1] ?? '');
      // The handler's second decoding of the repository name.
      const repository = decodeURIComponent(match[2] ?? '');
      if (!project?.repositories.delete(repository)) {
        this.send(req, res, 404, { errors: [{ code: 'NOT_FOUND' }] });
        return;
      }
      this.send(req, res, 200, undefined);
      return;
    }
    if (req.method === 'DELETE' && (match = /^\/projects\/([^/]+)$/.exec(path))) {
      const name = match[1] ?? '';
      const project = this.projects.get(name);
      if (!project) {
        this.send(req, res, 404, { errors: [{ code: 'NOT_FOUND' }] });
        return;
      }
      if (project.repositories.size > 0) {
        this.send(req, res, 412, { errors: [{ code: 'PRECONDITION', message: 'the project contains repositories' }] });
        return;
      }
      this.projects.delete(name);
      this.send(req, res, 200, undefined);
      return;
    }
    this.send(req, res, 404, { errors: [{ code: 'NOT_FOUND' }] });
  }

  /** `PUT` (push) and `GET` (pull) of a manifest, as the registry authorizes a robot. */
  private registry(req: IncomingMessage, res: ServerResponse, path: string, credentials: { username: string; password: string } | undefined): void {
    const match = /^\/v2\/([^/]+)\/(.+)\/manifests\/([^/]+)$/.exec(path);
    if (!match) return this.send(req, res, 404, { errors: [{ code: 'NAME_UNKNOWN' }] });
    const [, projectName = '', repository = '', reference = ''] = match;
    const robot = credentials ? this.robotOf(credentials.username, credentials.password) : undefined;
    const action = req.method === 'PUT' ? 'push' : 'pull';
    const project = this.projects.get(projectName);
    // Anyone may pull from a public project, with or without an account.
    const publicPull = action === 'pull' && project?.metadata.public === 'true';
    if (!robot && !publicPull) return this.send(req, res, 401, { errors: [{ code: 'UNAUTHORIZED' }] });
    if (!publicPull && (robot?.project !== projectName || !robot.actions.includes(action))) {
      return this.send(req, res, 403, { errors: [{ code: 'DENIED', message: `requested access to the resource is denied` }] });
    }
    if (!project) return this.send(req, res, 404, { errors: [{ code: 'NAME_UNKNOWN' }] });
    if (action === 'push') {
      const references = project.repositories.get(repository) ?? new Set<string>();
      references.add(reference);
      project.repositories.set(repository, references);
      return this.send(req, res, 201, undefined);
    }
    return this.send(req, res, project.repositories.get(repository)?.has(reference) ? 200 : 404, undefined);
  }

  private send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    this.calls.push({ method: req.method ?? '', path: req.url ?? '', status });
    res.writeHead(status, body === undefined ? {} : { 'Content-Type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  }
}

/**
 * What a token grants for one scope asked (`type:name:actions`; a name may hold a colon):
 * a robot gets the actions it has on repositories of its own project, nothing else.
 */
function grant(robot: FakeHarborRobot | undefined, scope: string): RegistryAccess | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return undefined;
  const type = scope.slice(0, first);
  const name = scope.slice(first + 1, last);
  const asked = scope.slice(last + 1).split(',');
  const own = robot !== undefined && type === 'repository' && name.startsWith(`${robot.project}/`);
  return { type, name, actions: own ? asked.filter((action) => robot.actions.includes(action)) : [] };
}

/** A registry token: a JWT signed ES256 (`kid` names the key), as distribution verifies it. */
export function signRegistryToken(
  claims: { iss: string; sub: string; aud: string; exp: number; nbf: number; iat: number; jti: string; access: RegistryAccess[] },
  signer: { keyId: string; key: ReturnType<typeof createPrivateKey> },
): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ typ: 'JWT', alg: 'ES256', kid: signer.keyId })}.${part(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key: signer.key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

function basicAuth(req: IncomingMessage): { username: string; password: string } | undefined {
  const match = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
