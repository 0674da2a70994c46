import { randomBytes } from 'node:crypto';
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

const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export class FakeHarbor {
  readonly projects = new Map<string, FakeHarborProject>();
  readonly robots = new Map<number, FakeHarborRobot>();
  readonly calls: FakeHarborCall[] = [];
  readonly admin = { username: 'admin', password: randomBytes(12).toString('hex') };
  /**
   * Called after robots are created or deleted, before the answer: lets a test give a real
   * registry the same accounts (the real-node tier's registry takes them as htpasswd users).
   */
  onRobotsChanged: ((robots: FakeHarborRobot[]) => Promise<void>) | undefined;
  private server: Server | undefined;
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
    await new Promise((resolve) => this.server?.close(resolve));
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
      await this.onRobotsChanged?.([...this.robots.values()]);
      this.send(req, res, 201, { id: created.id, name, secret: created.secret, creation_time: new Date().toISOString() });
      return;
    }
    if (req.method === 'DELETE' && (match = /^\/robots\/(\d+)$/.exec(path))) {
      const deleted = this.robots.delete(Number(match[1]));
      if (deleted) await this.onRobotsChanged?.([...this.robots.values()]);
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
