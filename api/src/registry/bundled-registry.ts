import { randomBytes } from 'node:crypto';
import { HarborError, type HarborApi, type HarborRobot } from './harbor-api.js';
import type { RegistryTokens } from './registry-tokens.js';

/**
 * The bundled registry (REGISTRY_MODE=bundled: a CNCF distribution registry in
 * `dangus-system`) behind the interface per-tenant Harbor has, so tenant registries
 * work the same in both modes. A tenant's "project" is the path prefix
 * `dangus-{namespace}/` its robot's tokens are limited to (registry-scopes.ts); a robot
 * is a name and a random secret the platform keeps (encrypted, in tenant_registries)
 * and checks when the robot asks for a token. Deletions go through the registry's own
 * API with a token the platform signs for itself; the blobs they free go at the
 * registry's garbage collection (bootstrap: its CronJob).
 */
export class BundledRegistryApi implements HarborApi {
  private readonly base: string;

  constructor(
    private readonly deps: { url: string; tokens: RegistryTokens; fetch?: typeof fetch },
  ) {
    this.base = deps.url.replace(/\/+$/, '');
  }

  /** Nothing to make: a project is a prefix the robot's tokens are held to. */
  async ensureProject(): Promise<void> {}

  /** Harbor's naming, so logs and pull Secrets read alike: `robot$dangus-{ns}+builder-…`. */
  async createRobot(project: string, name: string): Promise<HarborRobot> {
    return Promise.resolve({ id: 0, name: `robot$${project}+${name}`, secret: randomBytes(24).toString('base64url') });
  }

  /** The robot is its row, which goes with its project. */
  async deleteRobot(): Promise<void> {}

  /** Deletes every manifest of every repository under `project/`. */
  async deleteProject(project: string): Promise<void> {
    for (const repository of await this.repositoriesOf(project)) {
      const name = `${project}/${repository}`;
      const tags = await this.get(`/v2/${name}/tags/list`, [{ type: 'repository', name, actions: ['pull'] }]);
      if (tags.status === 404) continue;
      await this.expect(tags, [200], `list the tags of ${name}`);
      const digests = new Set<string>();
      for (const tag of ((await tags.json()) as { tags: string[] | null }).tags ?? []) {
        const head = await this.get(`/v2/${name}/manifests/${tag}`, [{ type: 'repository', name, actions: ['pull'] }], 'HEAD');
        const digest = head.headers.get('docker-content-digest');
        if (digest) digests.add(digest);
      }
      for (const digest of digests) await this.deleteArtifact(project, repository, digest);
    }
  }

  async deleteArtifact(project: string, repository: string, digest: string): Promise<void> {
    const name = `${project}/${repository}`;
    const res = await this.get(`/v2/${name}/manifests/${digest}`, [{ type: 'repository', name, actions: ['delete'] }], 'DELETE');
    if (res.status === 404) return;
    await this.expect(res, [202], `delete ${name}@${digest}`);
  }

  /** The repositories (names within the project) under `project/`, from the catalog. */
  private async repositoriesOf(project: string): Promise<string[]> {
    const found: string[] = [];
    let last = '';
    for (;;) {
      const res = await this.get(`/v2/_catalog?n=1000${last ? `&last=${encodeURIComponent(last)}` : ''}`, [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
      await this.expect(res, [200], 'list the registry catalog');
      const page = ((await res.json()) as { repositories: string[] | null }).repositories ?? [];
      found.push(...page.filter((name) => name.startsWith(`${project}/`)).map((name) => name.slice(project.length + 1)));
      if (page.length < 1000) return found;
      last = page[page.length - 1] ?? '';
    }
  }

  private async get(path: string, access: { type: string; name: string; actions: string[] }[], method = 'GET'): Promise<Response> {
    const token = await this.deps.tokens.platformToken(access);
    return (this.deps.fetch ?? fetch)(`${this.base}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: [
          'application/vnd.oci.image.index.v1+json',
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
          'application/vnd.docker.distribution.manifest.v2+json',
          'application/json',
        ].join(', '),
      },
      signal: AbortSignal.timeout(15_000),
    });
  }

  private async expect(res: Response, ok: number[], what: string): Promise<void> {
    if (ok.includes(res.status)) return;
    const detail = (await res.text().catch(() => '')).slice(0, 300);
    throw new HarborError(`the bundled registry refused to ${what}: HTTP ${String(res.status)}${detail ? ` ${detail}` : ''}`, res.status);
  }
}
