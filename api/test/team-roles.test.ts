/**
 * The policy's table (issue 36): every project and service route, walked by each role of
 * a team and by a member of no team, with the team's ids. A role below what the route
 * needs gets a 403 that names the role; someone outside the team gets 404 for everything;
 * a refused request changes nothing; and a viewer never receives an env value, whatever
 * the route.
 */
import { TEAM_ROLES } from '@dangus/common';
import { DeploymentEntity, EnvVarEntity, ProjectEntity, ServiceEntity } from '../src/db/entities/index.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { SECRET, as, makeTeam, type TeamFixture } from './support/team-fixture.js';

type Ids = TeamFixture['ids'];
type Role = (typeof TEAM_ROLES)[number];
/** Each route with the least role it needs, written out here (not read from the product's table). */
type Route = [method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', what: string, path: (i: Ids) => string, least: Role, body?: object];
const allows = (role: Role, least: Role) => TEAM_ROLES.indexOf(role) <= TEAM_ROLES.indexOf(least);

const ROUTES: Route[] = [
  ['GET', 'project', (i) => `/projects/${i.project}`, 'viewer'],
  ['GET', 'project usage', (i) => `/projects/${i.project}/usage`, 'viewer'],
  ['DELETE', 'project', (i) => `/projects/${i.project}`, 'owner'],
  ['GET', 'project members', (i) => `/projects/${i.project}/members`, 'viewer'],
  ['PUT', 'project role', (i) => `/projects/${i.project}/members/eve`, 'owner', { role: 'viewer' }],
  ['DELETE', 'project role', (i) => `/projects/${i.project}/members/eve`, 'owner'],
  ['POST', 'service in project', (i) => `/projects/${i.project}/services`, 'maintainer', { name: 'intruder', repoUrl: 'https://github.com/b/b', port: 80 }],
  ['GET', 'service', (i) => `/services/${i.service}`, 'viewer'],
  ['PATCH', 'service', (i) => `/services/${i.service}`, 'maintainer', { port: 81 }],
  ['DELETE', 'service', (i) => `/services/${i.service}`, 'maintainer'],
  ['POST', 'developer', (i) => `/services/${i.service}/deploy`, 'developer'],
  ['POST', 'restart', (i) => `/services/${i.service}/restart`, 'developer'],
  ['GET', 'events', (i) => `/services/${i.service}/events`, 'developer'],
  ['GET', 'metrics', (i) => `/services/${i.service}/metrics`, 'viewer'],
  ['GET', 'runtime log stream', (i) => `/services/${i.service}/logs/stream`, 'developer'],
  ['GET', 'env list', (i) => `/services/${i.service}/env`, 'viewer'],
  ['POST', 'env create', (i) => `/services/${i.service}/env`, 'maintainer', { key: 'X', value: 'y' }],
  ['PATCH', 'env var', (i) => `/services/${i.service}/env/${i.env}`, 'maintainer', { value: 'stolen' }],
  ['DELETE', 'env var', (i) => `/services/${i.service}/env/${i.env}`, 'maintainer'],
  ['POST', 'env import preview', (i) => `/services/${i.service}/env/import/preview`, 'maintainer', { dotenv: 'STRIPE_KEY=stolen' }],
  ['POST', 'env import', (i) => `/services/${i.service}/env/import`, 'maintainer', { dotenv: 'STRIPE_KEY=stolen\nMORE=1' }],
  ['POST', 'env value reveal', (i) => `/services/${i.service}/env/${i.env}/reveal`, 'maintainer'],
  ['GET', 'activity', (i) => `/services/${i.service}/activity`, 'viewer'],
  ['GET', 'deployment list', (i) => `/services/${i.service}/deployments`, 'viewer'],
  ['GET', 'deployment', (i) => `/deployments/${i.deployment}`, 'viewer'],
  ['GET', 'build log stream', (i) => `/deployments/${i.deployment}/logs/stream`, 'developer'],
  ['GET', 'rollback preview', (i) => `/deployments/${i.deployment}/rollback`, 'viewer'],
  ['POST', 'rollback', (i) => `/deployments/${i.deployment}/rollback`, 'maintainer'],
  ['GET', 'webhook deliveries', (i) => `/services/${i.service}/webhook-deliveries`, 'viewer'],
  ['POST', 'webhook redelivery', (i) => `/services/${i.service}/webhook-deliveries/${i.deployment}/redeliver`, 'maintainer'],
  ['GET', 'history', (i) => `/services/${i.service}/history`, 'viewer'],
  ['GET', 'custom domains', (i) => `/services/${i.service}/domains`, 'viewer'],
  ['POST', 'custom domain add', (i) => `/services/${i.service}/domains`, 'maintainer', { domain: 'intruder.example.org' }],
  ['GET', 'previews', (i) => `/services/${i.service}/previews`, 'viewer'],
  ['POST', 'preview teardown', (i) => `/services/${i.service}/previews/1/teardown`, 'maintainer'],
  ['GET', 'preview build log', (i) => `/services/${i.service}/previews/1/log`, 'developer'],
  ['GET', 'object storage', (i) => `/services/${i.service}/object-storage`, 'viewer'],
  ['POST', 'object storage key rotation', (i) => `/services/${i.service}/object-storage/rotate`, 'maintainer'],
];

const MEMBER_OF: Record<(typeof TEAM_ROLES)[number], 'alice' | 'bob' | 'dan' | 'vic'> = { owner: 'alice', maintainer: 'bob', developer: 'dan', viewer: 'vic' };

describe('teams: the route × role table of the policy', () => {
  let t: TestPlatform;
  let f: TeamFixture;

  beforeAll(async () => {
    t = await startTestPlatform();
    f = await makeTeam(t);
    // Pull request #1's preview with its build's log (what the controller stores as the build streams).
    const [preview] = await t.db.query<{ id: string }[]>(
      `INSERT INTO previews (service_id, pr_number, host, state, head_sha, head_ref, fork, author, pr_updated_at, last_push_at)
       VALUES ($1, 1, 'roles-pr1-host', 'building', $2, 'feature', false, 'alice', now(), now()) RETURNING id`,
      [f.ids.service, 'a'.repeat(40)],
    );
    await t.db.query(`INSERT INTO preview_build_logs (preview_id, head_sha, log) VALUES ($1, $2, 'INFO building')`, [preview?.id, 'a'.repeat(40)]);
  });
  afterAll(async () => {
    await t.close();
  });

  const send = (cookie: string, [method, , path, , body]: Route) => {
    const client = as(t, cookie);
    const url = path(f.ids);
    if (method === 'GET') return client.get(url);
    if (method === 'DELETE') return client.delete(url);
    if (method === 'PUT') return client.put(url, body ?? {});
    return method === 'POST' ? client.post(url, body ?? {}) : client.patch(url, body ?? {});
  };

  async function unchanged(): Promise<void> {
    expect(await t.db.getRepository(ProjectEntity).countBy({ id: f.ids.project })).toBe(1);
    expect((await t.db.getRepository(ServiceEntity).findOneByOrFail({ id: f.ids.service })).port).toBe(80);
    expect(await t.db.getRepository(ServiceEntity).count()).toBe(1);
    const env = await t.db.getRepository(EnvVarEntity).findBy({ serviceId: f.ids.service });
    expect(env.map((e) => [e.key, t.encryptor.decrypt(e.value)])).toEqual([['STRIPE_KEY', SECRET]]);
    expect(await t.db.getRepository(DeploymentEntity).count()).toBe(1);
    expect(await t.db.query(`SELECT * FROM service_activity`)).toEqual([]);
    expect(await t.db.query(`SELECT * FROM project_members`)).toEqual([]);
  }

  // Each role below a route's least role: 403 naming the role, nothing changed.
  const refused = ROUTES.flatMap((route) =>
    TEAM_ROLES.filter((role) => !allows(role, route[3])).map((role) => [route[0], route[1], role, route] as const),
  );
  it.each(refused)('%s %s as a %s: 403 naming the role, nothing changes', async (_m, _w, role, route) => {
    const res = await send(f.cookies[MEMBER_OF[role]], route);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('role_forbidden');
    expect(res.body.error.message).toContain(`Your role on this project is ${role}`);
    expect(res.body.error.message).toContain(`needs ${route[3]} or above`);
    await unchanged();
  });

  it.each(ROUTES.map((route) => [route[0], route[1], route] as const))('%s %s by a member of no team: 404, nothing changes', async (_m, _w, route) => {
    const res = await send(f.cookies.eve, route);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    await unchanged();
  });

  // Reads and the refusals before any write: each allowed role passes the policy (no 403/404).
  // (Streams stay open and writes change the fixture: the refusals above cover them.)
  const allowed = ROUTES.filter(([method, what]) => method === 'GET' && !what.includes('stream')).flatMap((route) =>
    TEAM_ROLES.filter((role) => allows(role, route[3])).map((role) => [route[0], route[1], role, route] as const),
  );
  it.each(allowed)('%s %s as a %s passes the policy', async (_m, _w, role, route) => {
    const res = await send(f.cookies[MEMBER_OF[role]], route);
    expect([403, 404]).not.toContain(res.status);
  });

  it('a viewer never receives an env value, whatever the route', async () => {
    // Output that carries a value (a build that printed it): developers read build logs, viewers do not.
    await t.db.query(`UPDATE deployments SET build_logs = $2 WHERE id = $1`, [f.ids.deployment, `Step 3/4 : RUN echo ${SECRET}\n`]);
    for (const route of ROUTES) {
      if (route[1].includes('stream')) continue; // refused before a stream opens (403 above)
      const res = await send(f.cookies.vic, route);
      expect(res.text).not.toContain(SECRET);
      expect(res.text).not.toContain(Buffer.from(SECRET).toString('base64'));
    }
    // The build log of a deployment is for developers up: the viewer's deployment has none.
    const deployment = await as(t, f.cookies.vic).get(`/deployments/${f.ids.deployment}`).expect(200);
    expect(deployment.body.buildLogs ?? null).toBeNull();
    // The developer reads that log, the maintainer the value (the checks above are not vacuous).
    expect((await as(t, f.cookies.dan).get(`/deployments/${f.ids.deployment}`).expect(200)).text).toContain(SECRET);
    const revealed = await as(t, f.cookies.bob).post(`/services/${f.ids.service}/env/${f.ids.env}/reveal`).expect(200);
    expect(revealed.body.value).toBe(SECRET);
    await t.db.query(`DELETE FROM service_activity`);
    await t.db.query(`UPDATE deployments SET build_logs = NULL WHERE id = $1`, [f.ids.deployment]);
  });

  it('a service says what the role may not do, with the reason; the webhook secret is for maintainers up', async () => {
    const asViewer = (await as(t, f.cookies.vic).get(`/services/${f.ids.service}`).expect(200)).body as {
      webhookSecret: string;
      can: Record<string, { ok: boolean; reason: string | null } | undefined>;
    };
    expect(asViewer.webhookSecret).toBe('');
    expect(asViewer.can.configure).toEqual({ ok: false, reason: expect.stringContaining('Your role on this project is viewer') as unknown });
    expect(asViewer.can.deploy?.reason).toContain('Your role on this project is viewer');
    expect(asViewer.can.observe?.reason).toContain('Your role on this project is viewer');
    const asDeveloper = (await as(t, f.cookies.dan).get(`/services/${f.ids.service}`).expect(200)).body as typeof asViewer;
    expect(asDeveloper.webhookSecret).toBe('');
    expect(asDeveloper.can.configure?.reason).toContain('Your role on this project is developer');
    expect(asDeveloper.can.deploy?.reason ?? '').not.toContain('Your role');
    const asMaintainer = (await as(t, f.cookies.bob).get(`/services/${f.ids.service}`).expect(200)).body as typeof asViewer;
    expect(asMaintainer.webhookSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(asMaintainer.can.configure).toBeUndefined();
    const project = await as(t, f.cookies.vic).get(`/projects/${f.ids.project}`).expect(200);
    expect(project.body.role).toBe('viewer');
  });

  it('the team project is named by the team\'s hash, not its creator\'s', async () => {
    const project = await as(t, f.cookies.dan).get(`/projects/${f.ids.project}`).expect(200);
    expect(project.body.namespace).toBe(`${f.teamHash}-shop`);
    const [alice] = await t.db.query<{ hash: string }[]>(`SELECT hash FROM users WHERE id = $1`, [f.userIds.alice]);
    expect(f.teamHash).not.toBe(alice?.hash);
    const service = await t.db.getRepository(ServiceEntity).findOneByOrFail({ id: f.ids.service });
    expect(service.host).toBe(`${f.teamHash}-shop--web`);
    // Every member lists it; eve does not.
    for (const who of ['alice', 'bob', 'dan', 'vic'] as const) {
      const list = await as(t, f.cookies[who]).get('/projects').expect(200);
      expect((list.body as { id: string }[]).map((p) => p.id)).toContain(f.ids.project);
    }
    expect((await as(t, f.cookies.eve).get('/projects').expect(200)).body).toEqual([]);
  });
});
