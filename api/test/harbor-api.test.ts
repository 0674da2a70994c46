// The product's Harbor client (src/registry/harbor-api.ts) against the fake Harbor, which
// follows Harbor where a client can go wrong: repository names URL-encoded twice in
// management paths, and private or public projects.
import { HttpHarborApi } from '../src/registry/harbor-api.js';
import { FakeHarbor } from './support/fake-harbor.js';

const digest = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;

describe('Harbor client against the fake Harbor', () => {
  let harbor: FakeHarbor;
  let client: HttpHarborApi;

  beforeAll(async () => {
    harbor = new FakeHarbor();
    await harbor.start();
    client = new HttpHarborApi({ url: harbor.url, ...harbor.admin });
  });
  afterAll(async () => {
    await harbor.stop();
  });

  const basic = (c: { username: string; password: string }) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  const admin = () => ({ Authorization: basic(harbor.admin) });

  /** A registry call (`/v2/{project}/{repository}/manifests/{reference}`), anonymous when `as` is null. */
  function registry(method: 'PUT' | 'GET', project: string, repository: string, reference: string, as: { username: string; password: string } | null) {
    return fetch(`${harbor.url}/v2/${project}/${repository}/manifests/${reference}`, { method, headers: as ? { Authorization: basic(as) } : {} });
  }

  /** A project made by the product's client, with images pushed by its robot. */
  async function projectWith(name: string, images: Record<string, string[]>) {
    await client.ensureProject(name);
    const robot = await client.createRobot(name, 'builder');
    for (const [repository, references] of Object.entries(images)) {
      for (const reference of references) expect((await registry('PUT', name, repository, reference, { username: robot.name, password: robot.secret })).status).toBe(201);
    }
    return robot;
  }

  it('deletes an artifact, and every repository then the project, where repository names hold slashes', async () => {
    const project = 'dangus-ab12cd-shop';
    await projectWith(project, { 'ab12cd-shop/web': [digest(1), digest(2)], web: [digest(3)], 'web/cache': [digest(4)] });

    await client.deleteArtifact(project, 'ab12cd-shop/web', digest(1));
    expect(harbor.projects.get(project)?.repositories.get('ab12cd-shop/web')).toEqual(new Set([digest(2)]));
    expect(harbor.calls.at(-1)).toEqual({
      method: 'DELETE',
      path: `/api/v2.0/projects/${project}/repositories/ab12cd-shop%252Fweb/artifacts/${encodeURIComponent(digest(1))}`,
      status: 200,
    });

    await client.deleteProject(project);
    expect(harbor.projects.has(project)).toBe(false);
    const deleted = harbor.calls.filter((c) => c.method === 'DELETE' && c.status === 200).map((c) => c.path);
    expect(deleted).toEqual(expect.arrayContaining([
      `/api/v2.0/projects/${project}/repositories/ab12cd-shop%252Fweb`,
      `/api/v2.0/projects/${project}/repositories/web%252Fcache`,
      `/api/v2.0/projects/${project}/repositories/web`,
      `/api/v2.0/projects/${project}`,
    ]));
  });

  it('refuses a repository name encoded once with 404, as Harbor does, and deletes nothing', async () => {
    const project = 'dangus-zz99yy-once';
    await projectWith(project, { 'zz99yy-once/web': [digest(5)] });
    const repositoryPath = (encode: (s: string) => string) => `${harbor.url}/api/v2.0/projects/${project}/repositories/${encode('zz99yy-once/web')}`;
    const once = encodeURIComponent;
    const twice = (s: string) => encodeURIComponent(encodeURIComponent(s));

    const artifactOnce = await fetch(`${repositoryPath(once)}/artifacts/${encodeURIComponent(digest(5))}`, { method: 'DELETE', headers: admin() });
    expect(artifactOnce.status).toBe(404);
    expect((await fetch(repositoryPath(once), { method: 'DELETE', headers: admin() })).status).toBe(404);
    expect(harbor.projects.get(project)?.repositories.get('zz99yy-once/web')).toEqual(new Set([digest(5)]));

    // The product's client with one encoding taken away is refused alike: its delete finds nothing.
    const singleEncoding = new HttpHarborApi({
      url: harbor.url,
      ...harbor.admin,
      fetch: (input, init) => fetch(typeof input === 'string' ? input.replaceAll('%252F', '%2F') : input, init),
    });
    await singleEncoding.deleteArtifact(project, 'zz99yy-once/web', digest(5));
    expect(harbor.projects.get(project)?.repositories.get('zz99yy-once/web')).toEqual(new Set([digest(5)]));

    // Encoded twice, the same call is Harbor's.
    expect((await fetch(repositoryPath(twice), { method: 'DELETE', headers: admin() })).status).toBe(200);
    expect(harbor.projects.get(project)?.repositories.has('zz99yy-once/web')).toBe(false);
  });

  it('creates tenant projects private: anonymous pulls and listings are refused, as a public project would not refuse them', async () => {
    const privateRobot = await projectWith('dangus-qq11ww-closed', { web: [digest(6)] });
    expect(harbor.projects.get('dangus-qq11ww-closed')?.metadata).toEqual({ public: 'false' });
    expect((await registry('GET', 'dangus-qq11ww-closed', 'web', digest(6), null)).status).toBe(401);
    expect((await fetch(`${harbor.url}/api/v2.0/projects/dangus-qq11ww-closed/repositories`)).status).toBe(401);

    // A public project, as an operator may make one in Harbor: anyone pulls and lists.
    const created = await fetch(`${harbor.url}/api/v2.0/projects`, {
      method: 'POST',
      headers: { ...admin(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ project_name: 'library', metadata: { public: 'true' } }),
    });
    expect(created.status).toBe(201);
    const publisher = await client.createRobot('library', 'publisher');
    expect((await registry('PUT', 'library', 'base/alpine', digest(7), { username: publisher.name, password: publisher.secret })).status).toBe(201);

    expect((await registry('GET', 'library', 'base/alpine', digest(7), null)).status).toBe(200);
    expect((await registry('GET', 'library', 'base/alpine', digest(7), { username: privateRobot.name, password: privateRobot.secret })).status).toBe(200);
    const listing = await fetch(`${harbor.url}/api/v2.0/projects/library/repositories`);
    expect(listing.status).toBe(200);
    expect(await listing.json()).toEqual([{ name: 'library/base/alpine' }]);
    // Public is for reading: pushing still takes the project's own robot.
    expect((await registry('PUT', 'library', 'base/alpine', digest(8), null)).status).toBe(401);
    expect((await registry('PUT', 'library', 'base/alpine', digest(8), { username: privateRobot.name, password: privateRobot.secret })).status).toBe(403);
    // Harbor's metadata values are the strings 'true' and 'false'.
    const bad = await fetch(`${harbor.url}/api/v2.0/projects`, {
      method: 'POST',
      headers: { ...admin(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ project_name: 'sloppy', metadata: { public: true } }),
    });
    expect(bad.status).toBe(400);
  });
});
