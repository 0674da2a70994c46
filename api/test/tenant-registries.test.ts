// Each tenant's registry credential against a fake Harbor that enforces robot
// permissions, on real PostgreSQL.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import request from 'supertest';
import { dockerConfigJson } from '../src/pipeline/cluster-secrets.js';
import { HttpHarborApi } from '../src/registry/harbor-api.js';
import { SHARED_REGISTRY_WARNING, TenantRegistries } from '../src/registry/tenant-registries.js';
import { FakeHarbor } from './support/fake-harbor.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

describe('tenant registries', () => {
  let harbor: FakeHarbor;
  let t: TestPlatform;
  let registries: TenantRegistries;
  let cookie: string;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    harbor = new FakeHarbor();
    await harbor.start();
    t = await startTestPlatform({
      HARBOR_URL: harbor.url,
      HARBOR_ADMIN_USERNAME: harbor.admin.username,
      HARBOR_ADMIN_PASSWORD: harbor.admin.password,
      ADMIN_GITHUB_USERS: 'octocat',
    });
    registries = new TenantRegistries({
      db: t.db,
      encryptor: t.encryptor,
      logger,
      harbor: new HttpHarborApi({ url: harbor.url, ...harbor.admin }),
      settings: { harborProject: 'dangus', shared: null },
    });
    cookie = await t.signIn('octocat', 4242);
  });
  afterAll(async () => {
    await t.close();
    await harbor.stop();
  });

  async function newProject(name: string): Promise<{ id: string; namespace: string }> {
    const res = await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name }).expect(201);
    return { id: res.body.id as string, namespace: res.body.namespace as string };
  }

  /** A manifest push or pull with the credentials Kaniko and the kubelet get (the docker config the Secrets hold). */
  function registryCall(method: 'PUT' | 'GET', path: string, credentials: { username: string; password: string } | null) {
    const config = JSON.parse(dockerConfigJson('harbor.local', credentials)) as { auths: Record<string, { auth: string }> };
    const auth = config.auths['harbor.local']?.auth;
    return fetch(`${harbor.url}/v2/${path}`, { method, headers: auth ? { Authorization: `Basic ${auth}` } : {} });
  }

  it('makes one Harbor project and one robot per tenant, scoped to it, and keeps its secret encrypted', async () => {
    const project = await newProject('alpha');
    const credentials = await registries.credentialsFor(project.id, project.namespace);
    const harborProject = `dangus-${project.namespace}`;

    expect(harbor.projects.has(harborProject)).toBe(true);
    // Private: nothing of a tenant's is pulled or listed without a credential.
    expect(harbor.projects.get(harborProject)?.metadata).toEqual({ public: 'false' });
    expect((await registryCall('GET', `${harborProject}/web/manifests/v1`, null)).status).toBe(401);
    const robots = [...harbor.robots.values()].filter((r) => r.project === harborProject);
    expect(robots).toHaveLength(1);
    expect(robots[0]).toEqual(expect.objectContaining({ actions: ['push', 'pull'] }));
    expect(credentials).toEqual({ username: robots[0]?.name, password: robots[0]?.secret });
    expect(credentials?.username).toMatch(new RegExp(`^robot\\$${harborProject}\\+builder-[0-9a-f]{6}$`));

    const [row] = await t.db.query<{ robot_secret: string; harbor_project: string }[]>(`SELECT * FROM tenant_registries WHERE project_id = $1`, [project.id]);
    expect(row?.harbor_project).toBe(harborProject);
    expect(row?.robot_secret).not.toContain(credentials?.password ?? 'x');
    expect(row?.robot_secret).toMatch(/^v1:/);

    // The second build of the tenant reuses it: no new robot, no Harbor call.
    const calls = harbor.calls.length;
    expect(await registries.credentialsFor(project.id, project.namespace)).toEqual(credentials);
    expect(harbor.calls).toHaveLength(calls);
  });

  it('when ten first builds of a tenant ask at once, then one robot is made and all get it', async () => {
    const project = await newProject('burst');
    const all = await Promise.all(Array.from({ length: 10 }, () => registries.credentialsFor(project.id, project.namespace)));
    expect(new Set(all.map((c) => c?.username)).size).toBe(1);
    expect([...harbor.robots.values()].filter((r) => r.project === `dangus-${project.namespace}`)).toHaveLength(1);
  });

  it("tenant A's robot pushes and pulls its own repositories and is refused on tenant B's", async () => {
    const a = await newProject('tenant-a');
    const b = await newProject('tenant-b');
    const credA = await registries.credentialsFor(a.id, a.namespace);
    const credB = await registries.credentialsFor(b.id, b.namespace);
    const repoA = `dangus-${a.namespace}/web/manifests/${'a'.repeat(40)}`;
    const repoB = `dangus-${b.namespace}/web/manifests/${'b'.repeat(40)}`;

    expect((await registryCall('PUT', repoA, credA)).status).toBe(201);
    expect((await registryCall('GET', repoA, credA)).status).toBe(200);
    expect((await registryCall('PUT', repoB, credB)).status).toBe(201);
    // A overwriting B's image, or reading it: refused.
    expect((await registryCall('PUT', repoB, credA)).status).toBe(403);
    expect((await registryCall('GET', repoB, credA)).status).toBe(403);
    // Nor with no credential, nor a made-up one.
    expect((await registryCall('PUT', repoB, null)).status).toBe(401);
    expect((await registryCall('PUT', repoB, { username: credB?.username ?? '', password: 'guess' })).status).toBe(401);
    expect(harbor.projects.get(`dangus-${b.namespace}`)?.repositories.get('web')).toEqual(new Set(['b'.repeat(40)]));
  });

  it('deleting a project deletes its robot, its images and its Harbor project', async () => {
    const project = await newProject('doomed');
    const credentials = await registries.credentialsFor(project.id, project.namespace);
    const harborProject = `dangus-${project.namespace}`;
    expect((await registryCall('PUT', `${harborProject}/web/manifests/v1`, credentials)).status).toBe(201);
    expect((await registryCall('PUT', `${harborProject}/web/cache/manifests/v1`, credentials)).status).toBe(201);

    await request(t.app).delete(`/api/projects/${project.id}`).set({ Cookie: cookie, Origin: ORIGIN }).expect(204);

    expect(harbor.projects.has(harborProject)).toBe(false);
    expect([...harbor.robots.values()].some((r) => r.project === harborProject)).toBe(false);
    expect(await t.db.query(`SELECT 1 FROM tenant_registries WHERE project_id = $1`, [project.id])).toEqual([]);
    expect((await registryCall('PUT', `${harborProject}/web/manifests/v2`, credentials)).status).toBe(401);
  });

  it('when Harbor refuses, then the build gets no credential and no row is written', async () => {
    const project = await newProject('refused');
    const wrong = new TenantRegistries({
      db: t.db,
      encryptor: t.encryptor,
      logger,
      harbor: new HttpHarborApi({ url: harbor.url, username: 'admin', password: 'wrong' }),
      settings: { harborProject: 'dangus', shared: null },
    });
    await expect(wrong.credentialsFor(project.id, project.namespace)).rejects.toThrow(/Harbor refused to create Harbor project .*HTTP 401/);
    expect(await t.db.query(`SELECT 1 FROM tenant_registries WHERE project_id = $1`, [project.id])).toEqual([]);
  });

  it('without the admin settings, every tenant gets the one shared credential and the System page says so', async () => {
    const shared = { username: 'robot$dangus+builder', password: randomBytes(8).toString('hex') };
    const sharedRegistries = new TenantRegistries({ db: t.db, encryptor: t.encryptor, logger, harbor: null, settings: { harborProject: 'dangus', shared } });
    const project = await newProject('plain');
    expect(await sharedRegistries.credentialsFor(project.id, project.namespace)).toEqual(shared);
    expect(sharedRegistries.status).toEqual({ mode: 'shared', warning: SHARED_REGISTRY_WARNING });

    // A registry with one shared credential: the System page warns.
    const plain = await startTestPlatform({ ADMIN_GITHUB_USERS: 'octocat', HARBOR_HOST: 'registry.example.test', HARBOR_USERNAME: shared.username, HARBOR_PASSWORD: shared.password });
    try {
      const session = await plain.signIn('octocat', 4242);
      const res = await request(plain.app).get('/api/system/registry').set('Cookie', session).expect(200);
      expect(res.body).toEqual({ mode: 'shared', warning: 'builds share one registry credential: tenants are not isolated' });
    } finally {
      await plain.close();
    }
    // No registry configured at all (a laptop): nothing is shared, nothing to warn about.
    const laptop = await startTestPlatform({ ADMIN_GITHUB_USERS: 'octocat' });
    try {
      const session = await laptop.signIn('octocat', 4242);
      const res = await request(laptop.app).get('/api/system/registry').set('Cookie', session).expect(200);
      expect(res.body).toEqual({ mode: 'none', warning: null });
    } finally {
      await laptop.close();
    }
    const isolated = await request(t.app).get('/api/system/registry').set('Cookie', cookie).expect(200);
    expect(isolated.body).toEqual({ mode: 'per-tenant', warning: null });
  });
});
