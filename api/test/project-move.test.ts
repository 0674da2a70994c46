/**
 * Moving a project between a person's space and a team's (issue 36) on the real PostgreSQL
 * and state repo: a project with a live service moves with its name typed as confirmation,
 * by someone who owns both sides; its namespace, host and state-repo files are unchanged
 * (no commit changes a file); the new owners act on it and the old ones, not members, get
 * 404; the mover is named in the log of the change. Refusals change nothing.
 */
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import { promisify } from 'node:util';
import { listen } from '../src/server.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { as, makeTeam, type TeamFixture } from './support/team-fixture.js';

const git = async (dir: string, ...args: string[]) => (await promisify(execFile)('git', ['--git-dir', dir, ...args])).stdout.trim();

describe('moving a project between spaces', () => {
  let t: TestPlatform;
  let f: TeamFixture;
  let project = '';
  let service = '';
  let namespace = '';
  let host = '';

  beforeAll(async () => {
    t = await startTestPlatform();
    f = await makeTeam(t);
    const alice = as(t, f.cookies.alice);
    const created = await alice.post('/projects', { name: 'solo' }).expect(201);
    project = created.body.id as string;
    namespace = created.body.namespace as string;
    const s = await alice.post(`/projects/${project}/services`, { name: 'web', repoUrl: 'https://github.com/alice/web', port: 8080 }).expect(201);
    service = s.body.id as string;
    host = s.body.host as string;
    // Live: a current deployment with its image, in the state repo by a commit of the tenant.
    await t.db.query(
      `WITH d AS (INSERT INTO deployments (service_id, commit_sha, status, image_tag) VALUES ($1, $2, 'live', $3) RETURNING id)
       UPDATE services SET current_deployment_id = d.id FROM d WHERE services.id = $1`,
      [service, 'c'.repeat(40), `harbor.local/dangus/${namespace}/web:${'c'.repeat(40)}`],
    );
    await t.role.stateSink.tenantChanged({ projectId: project, namespace, verb: 'reconcile', summary: 'live', actor: { userId: f.userIds.alice, githubUsername: 'alice' } });
  });
  afterAll(async () => {
    await t.close();
  });

  const tree = async () => git(t.stateRepoDir, 'rev-parse', `HEAD:tenants/${namespace}`);

  it('moves to a team its owner owns: namespace, host and files unchanged; the team acts, the old owner\'s space no longer lists it', async () => {
    const before = { tree: await tree(), head: await git(t.stateRepoDir, 'rev-parse', 'HEAD') };
    expect(await git(t.stateRepoDir, 'show', `HEAD:tenants/${namespace}/web/deployment.yaml`)).toContain(`${namespace}/web:${'c'.repeat(40)}`);
    const moved = await as(t, f.cookies.alice).post(`/projects/${project}/move`, { to: { team: f.teamId }, confirm: 'solo' }).expect(200);
    expect(moved.body).toMatchObject({ id: project, name: 'solo', namespace, serviceCount: 1 });
    // Nothing of it moved: the namespace, the host, the tenant's files (the same tree).
    expect((await as(t, f.cookies.bob).get(`/projects/${project}`).expect(200)).body.namespace).toBe(namespace);
    expect((await as(t, f.cookies.bob).get(`/services/${service}`).expect(200)).body.host).toBe(host);
    expect(await tree()).toBe(before.tree);
    await t.role.stateSink.tenantChanged({ projectId: project, namespace, verb: 'reconcile', summary: 'check', actor: { userId: f.userIds.alice, githubUsername: 'alice' } });
    expect(await tree()).toBe(before.tree);
    // The team's people act on it by their roles: bob changes it, vic reads it; eve has none.
    await as(t, f.cookies.bob).patch(`/services/${service}`, { port: 8081 }).expect(200);
    expect((await as(t, f.cookies.vic).patch(`/services/${service}`, { port: 1 })).status).toBe(403);
    await as(t, f.cookies.eve).get(`/projects/${project}`).expect(404);
    expect(((await as(t, f.cookies.dan).get('/projects').expect(200)).body as { id: string }[]).map((p) => p.id)).toContain(project);
    // The rows that name the owner name the team's account now.
    const [owners] = await t.db.query<{ p: string; s: string; team: string }[]>(
      `SELECT p.user_id AS p, s.user_id AS s, t.account_id AS team FROM projects p JOIN services s ON s.project_id = p.id, teams t WHERE p.id = $1 AND t.id = $2`,
      [project, f.teamId],
    );
    expect(owners?.p).toBe(owners?.team);
    expect(owners?.s).toBe(owners?.team);
    // The mover is named: the change's log entry, in the team's log.
    const log = (await as(t, f.cookies.vic).get(`/teams/${f.teamId}/activity?projectId=${project}&action=update`).expect(200)).body as { actor: string; subject: string }[];
    expect(log.map((e) => `${e.actor}: ${e.subject}`)).toContain(`alice: ${namespace}: move project solo to team acme`);
  });

  it('moves back to the owner\'s space: team members who are not on it lose it (404), their open streams of it at once', async () => {
    const server: Server = await listen(t.app, '127.0.0.1', 0);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const controller = new AbortController();
    try {
      // A build under way (pending: no cluster takes it up): its log stream stays open until closed.
      const [deployment] = await t.db.query<{ id: string }[]>(
        `INSERT INTO deployments (service_id, commit_sha, status, trigger) VALUES ($1, $2, 'pending', 'push') RETURNING id`,
        [service, 'd'.repeat(40)],
      );
      const res = await fetch(`http://127.0.0.1:${String(port)}/api/deployments/${deployment?.id ?? ''}/logs/stream`, { headers: { Cookie: f.cookies.bob }, signal: controller.signal });
      expect(res.status).toBe(200);
      const reader = res.body?.getReader();
      await t.events.logSubscribers(deployment?.id ?? '');
      const started = Date.now();
      await as(t, f.cookies.alice).post(`/projects/${project}/move`, { to: { personal: true }, confirm: 'solo' }).expect(200);
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
      }
      expect(Date.now() - started).toBeLessThan(5000);
      // The team it left keeps a line of it, naming the mover.
      const log = (await as(t, f.cookies.vic).get(`/teams/${f.teamId}/activity?action=project.move`).expect(200)).body as { actor: string; subject: string }[];
      expect(log.map((e) => `${e.actor}: ${e.subject}`)).toEqual([`alice: ${namespace}: moved project solo out, to @alice's space`]);
    } finally {
      controller.abort();
      await new Promise((resolve) => server.close(resolve));
    }
    await as(t, f.cookies.bob).get(`/projects/${project}`).expect(404);
    await as(t, f.cookies.bob).patch(`/services/${service}`, { port: 8082 }).expect(404);
    expect((await as(t, f.cookies.alice).get(`/projects/${project}`).expect(200)).body.namespace).toBe(namespace);
  });

  it('refuses what it must, changing nothing: a wrong confirmation, a role short of owner on either side, a name taken, the same place', async () => {
    const alice = as(t, f.cookies.alice);
    const wrong = await alice.post(`/projects/${project}/move`, { to: { team: f.teamId }, confirm: 'SOLO' });
    expect(wrong.status).toBe(400);
    expect(Object.keys(wrong.body.error.fields as object)).toEqual(['confirm']);
    const bad = await alice.post(`/projects/${project}/move`, { to: { team: 'nope' }, confirm: 'solo' });
    expect(bad.status).toBe(400);
    expect(await alice.post(`/projects/${project}/move`, { to: { personal: true }, confirm: 'solo' }).then((r) => r.status)).toBe(409);
    // bob owns a project of his own, but is a maintainer of the team: 403 naming the role.
    const bobs = (await as(t, f.cookies.bob).post('/projects', { name: 'bobs' }).expect(201)).body.id as string;
    const intoTeam = await as(t, f.cookies.bob).post(`/projects/${bobs}/move`, { to: { team: f.teamId }, confirm: 'bobs' });
    expect(intoTeam.status).toBe(403);
    expect(intoTeam.body.error.message).toContain('Your role on team acme is maintainer');
    // dan, a developer of the team, cannot take the team's project: 403 naming his role on it.
    const take = await as(t, f.cookies.dan).post(`/projects/${f.ids.project}/move`, { to: { personal: true }, confirm: 'shop' });
    expect(take.status).toBe(403);
    // eve: the team's project does not exist for her.
    await as(t, f.cookies.eve).post(`/projects/${f.ids.project}/move`, { to: { personal: true }, confirm: 'shop' }).expect(404);
    // Made owner of that one project (not of the team), she runs it but cannot take it out of the team's space.
    await alice.put(`/projects/${f.ids.project}/members/eve`, { role: 'owner' }).expect(200);
    const takeAway = await as(t, f.cookies.eve).post(`/projects/${f.ids.project}/move`, { to: { personal: true }, confirm: 'shop' });
    expect(takeAway.status).toBe(403);
    expect(takeAway.body.error.message).toContain('only the owners of the space it is in may move it');
    await alice.delete(`/projects/${f.ids.project}/members/eve`).expect(204);
    // No room in the team for its services (MAX_SERVICES_PER_TEAM): 409 limit_reached.
    const [teamServices] = await t.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM services s JOIN teams t ON t.account_id = s.user_id WHERE t.id = $1`, [f.teamId]);
    const limits = t.ctx.limits;
    limits.servicesPerTeam = teamServices?.n ?? 0;
    try {
      const full = await alice.post(`/projects/${project}/move`, { to: { team: f.teamId }, confirm: 'solo' });
      expect(full.status).toBe(409);
      expect(full.body.error.code).toBe('limit_reached');
    } finally {
      limits.servicesPerTeam = 0;
    }
    // A name taken in the destination: alice's own "shop" cannot join the team's "shop".
    const shop = (await alice.post('/projects', { name: 'shop' }).expect(201)).body.id as string;
    const taken = await alice.post(`/projects/${shop}/move`, { to: { team: f.teamId }, confirm: 'shop' });
    expect(taken.status).toBe(409);
    expect(Object.keys(taken.body.error.fields as object)).toEqual(['to']);
    const rows = await t.db.query<{ id: string; owner: string }[]>(`SELECT id, user_id AS owner FROM projects WHERE id = ANY($1) ORDER BY id`, [[project, bobs, shop, f.ids.project]]);
    const [team] = await t.db.query<{ account_id: string }[]>(`SELECT account_id FROM teams WHERE id = $1`, [f.teamId]);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.owner]))).toEqual({
      [project]: f.userIds.alice,
      [bobs]: f.userIds.bob,
      [shop]: f.userIds.alice,
      [f.ids.project]: team?.account_id,
    });
  });
});
