/**
 * The part of Harbor's REST API (v2.0) the platform uses to give each tenant a
 * registry of its own: a Harbor project per tenant namespace and a project robot
 * account that may push and pull there and nowhere else. Called with an
 * operator-supplied account allowed to create projects and robots.
 */
export interface HarborApi {
  /** Creates the project (private); one that exists already is fine. */
  ensureProject(name: string): Promise<void>;
  /** A robot of `project` with push and pull on its repositories only. */
  createRobot(project: string, name: string): Promise<HarborRobot>;
  /** Deletes the robot; one already gone is fine. */
  deleteRobot(id: number): Promise<void>;
  /** Deletes the project's repositories, then the project; one already gone is fine. */
  deleteProject(name: string): Promise<void>;
  /** Deletes one artifact (by digest) of a repository of the project; one already gone is fine. */
  deleteArtifact(project: string, repository: string, digest: string): Promise<void>;
}

export interface HarborRobot {
  id: number;
  /** As Harbor names it, e.g. `robot$dangus-ab12cd-shop+builder`: the registry user name. */
  name: string;
  secret: string;
}

export class HarborError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Harbor over HTTP(S), basic auth with the operator's account. */
export class HttpHarborApi implements HarborApi {
  private readonly base: string;
  private readonly authorization: string;

  constructor(options: { url: string; username: string; password: string; fetch?: typeof fetch }) {
    this.base = `${options.url.replace(/\/+$/, '')}/api/v2.0`;
    this.authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    this.fetchFn = options.fetch ?? fetch;
  }

  private readonly fetchFn: typeof fetch;

  async ensureProject(name: string): Promise<void> {
    const res = await this.call('POST', '/projects', { project_name: name, metadata: { public: 'false' } });
    if (res.status === 409) return;
    await this.expect(res, [201], `create Harbor project ${name}`);
  }

  async createRobot(project: string, name: string): Promise<HarborRobot> {
    const res = await this.call('POST', '/robots', {
      name,
      description: 'Dangus Cloud: builds and pulls of this tenant',
      duration: -1,
      level: 'project',
      disable: false,
      permissions: [
        {
          kind: 'project',
          namespace: project,
          access: [
            { resource: 'repository', action: 'push' },
            { resource: 'repository', action: 'pull' },
          ],
        },
      ],
    });
    await this.expect(res, [201], `create a robot account in Harbor project ${project}`);
    const body = (await res.json()) as Partial<HarborRobot>;
    if (typeof body.id !== 'number' || typeof body.name !== 'string' || typeof body.secret !== 'string') {
      throw new HarborError(`Harbor answered the robot account of ${project} without its id, name or secret`, res.status);
    }
    return { id: body.id, name: body.name, secret: body.secret };
  }

  async deleteRobot(id: number): Promise<void> {
    const res = await this.call('DELETE', `/robots/${String(id)}`);
    if (res.status === 404) return;
    await this.expect(res, [200], `delete Harbor robot ${String(id)}`);
  }

  async deleteProject(name: string): Promise<void> {
    const project = encodeURIComponent(name);
    for (;;) {
      const list = await this.call('GET', `/projects/${project}/repositories?page_size=100`);
      if (list.status === 404) return;
      await this.expect(list, [200], `list the repositories of Harbor project ${name}`);
      const repositories = (await list.json()) as { name: string }[];
      if (repositories.length === 0) break;
      for (const repository of repositories) {
        // Harbor wants the name without its project, URL-encoded twice (it may hold slashes).
        const inProject = repository.name.startsWith(`${name}/`) ? repository.name.slice(name.length + 1) : repository.name;
        const res = await this.call('DELETE', `/projects/${project}/repositories/${encodeURIComponent(encodeURIComponent(inProject))}`);
        if (res.status !== 404) await this.expect(res, [200], `delete repository ${repository.name}`);
      }
    }
    const res = await this.call('DELETE', `/projects/${project}`);
    if (res.status === 404) return;
    await this.expect(res, [200], `delete Harbor project ${name}`);
  }

  async deleteArtifact(project: string, repository: string, digest: string): Promise<void> {
    // As for repositories: the name without its project, URL-encoded twice.
    const path = `/projects/${encodeURIComponent(project)}/repositories/${encodeURIComponent(encodeURIComponent(repository))}/artifacts/${encodeURIComponent(digest)}`;
    const res = await this.call('DELETE', path);
    if (res.status === 404) return;
    await this.expect(res, [200], `delete artifact ${digest} of ${project}/${repository}`);
  }

  private call(method: string, path: string, body?: unknown): Promise<Response> {
    return this.fetchFn(`${this.base}${path}`, {
      method,
      headers: {
        Authorization: this.authorization,
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
  }

  private async expect(res: Response, ok: number[], what: string): Promise<void> {
    if (ok.includes(res.status)) return;
    const detail = (await res.text().catch(() => '')).slice(0, 300);
    throw new HarborError(`Harbor refused to ${what}: HTTP ${String(res.status)}${detail ? ` ${detail}` : ''}`, res.status);
  }
}
