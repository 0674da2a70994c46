/**
 * Roles on one project (issue 36) through their routes, on the real PostgreSQL: an owner
 * gives someone a role on one project, narrower or wider than their team role; the
 * project's owners (its personal space, the team's owners) cannot be narrowed (the
 * last-owner rule); bad input is a 400 naming the field; removing a role closes the
 * person's open streams of the project at once.
 */
import type { Server } from 'node:http';
import { listen } from '../src/server.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { as, makeTeam, type TeamFixture } from './support/team-fixture.js';

describe('project roles: narrower than a team\'s, set by the project\'s owners', () => {
  let t: TestPlatform;
  let f: TeamFixture;

  beforeAll(async () => {
    t = await startTestPlatform();
    f = await makeTeam(t);
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(async () => {
    await t.db.query(`DELETE FROM project_members`);
  });

  const members = async (cookie: string) =>
    Object.fromEntries(
      ((await as(t, cookie).get(`/projects/${f.ids.project}/members`).expect(200)).body as { githubUsername: string; role: string; source: string }[]).map((m) => [
        m.githubUsername,
        `${m.role} (${m.source})`,
      ]),
    );

  it('an owner opens one project to someone outside the team, in a role; they see that project alone', async () => {
    await as(t, f.cookies.eve).get(`/projects/${f.ids.project}`).expect(404);
    const set = await as(t, f.cookies.alice).put(`/projects/${f.ids.project}/members/EVE`, { role: 'developer' }).expect(200);
    expect(set.body).toMatchObject({ userId: f.userIds.eve, githubUsername: 'eve', role: 'developer', source: 'project', teamRole: null });
    expect(await members(f.cookies.eve)).toEqual({
      alice: 'owner (team)',
      bob: 'maintainer (team)',
      dan: 'developer (team)',
      eve: 'developer (project)',
      vic: 'viewer (team)',
    });
    expect((await as(t, f.cookies.eve).get(`/projects/${f.ids.project}`).expect(200)).body.role).toBe('developer');
    const change = await as(t, f.cookies.eve).patch(`/services/${f.ids.service}`, { port: 82 });
    expect(change.status).toBe(403);
    expect(change.body.error.message).toContain('Your role on this project is developer');
    // The team stays closed: its members, its activity.
    await as(t, f.cookies.eve).get(`/teams/${f.teamId}/members`).expect(404);
    // The change is in the team's log, with who made it.
    const log = (await as(t, f.cookies.vic).get(`/teams/${f.teamId}/activity?action=project-member.set`).expect(200)).body as { actor: string; subject: string }[];
    expect(log[0]).toMatchObject({ actor: 'alice', subject: 'eve as developer on shop' });
    // Taken away: the project is gone for eve.
    await as(t, f.cookies.alice).delete(`/projects/${f.ids.project}/members/eve`).expect(204);
    await as(t, f.cookies.eve).get(`/projects/${f.ids.project}`).expect(404);
    await as(t, f.cookies.alice).delete(`/projects/${f.ids.project}/members/eve`).expect(404);
  });

  it('a role on the project overrides a team member\'s there, narrower or wider; removing it restores the team role', async () => {
    await as(t, f.cookies.alice).put(`/projects/${f.ids.project}/members/bob`, { role: 'viewer' }).expect(200);
    expect((await members(f.cookies.bob)).bob).toBe('viewer (project)');
    expect((await as(t, f.cookies.bob).patch(`/services/${f.ids.service}`, { port: 82 })).status).toBe(403);
    await as(t, f.cookies.alice).put(`/projects/${f.ids.project}/members/vic`, { role: 'owner' }).expect(200);
    // vic, a viewer of the team, owns this project: she manages its roles.
    await as(t, f.cookies.vic).put(`/projects/${f.ids.project}/members/dan`, { role: 'viewer' }).expect(200);
    expect((await members(f.cookies.vic)).dan).toBe('viewer (project)');
    // bob drops his own narrower role: back to maintainer.
    await as(t, f.cookies.bob).delete(`/projects/${f.ids.project}/members/bob`).expect(204);
    expect((await as(t, f.cookies.bob).get(`/projects/${f.ids.project}`).expect(200)).body.role).toBe('maintainer');
    // A developer or maintainer of the project may not set roles: 403 naming the role.
    const byBob = await as(t, f.cookies.bob).put(`/projects/${f.ids.project}/members/eve`, { role: 'owner' });
    expect(byBob.status).toBe(403);
    expect(byBob.body.error.message).toContain('Your role on this project is maintainer');
    expect(await t.db.query(`SELECT 1 FROM project_members WHERE user_id = $1`, [f.userIds.eve])).toEqual([]);
  });

  it('the project\'s owners cannot be narrowed: the team\'s owners, the personal space\'s owner (409), nor by themselves', async () => {
    const self = await as(t, f.cookies.alice).put(`/projects/${f.ids.project}/members/alice`, { role: 'viewer' });
    expect(self.status).toBe(409);
    expect(Object.keys(self.body.error.fields as object)).toEqual(['role']);
    await as(t, f.cookies.alice).put(`/projects/${f.ids.project}/members/vic`, { role: 'owner' }).expect(200);
    const byVic = await as(t, f.cookies.vic).put(`/projects/${f.ids.project}/members/alice`, { role: 'viewer' });
    expect(byVic.status).toBe(409);
    expect(byVic.body.error.message).toContain('An owner of the team owns each of its projects');
    // A row written by hand does not narrow a team owner either (the policy).
    await t.db.query(`INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, 'viewer')`, [f.ids.project, f.userIds.alice]);
    expect((await as(t, f.cookies.alice).get(`/projects/${f.ids.project}`).expect(200)).body.role).toBe('owner');
    // A personal project: its owner is its owner.
    const mine = (await as(t, f.cookies.eve).post('/projects', { name: 'own' }).expect(201)).body.id as string;
    const own = await as(t, f.cookies.eve).put(`/projects/${mine}/members/eve`, { role: 'viewer' });
    expect(own.status).toBe(409);
    expect(own.body.error.message).toContain('their role is always owner');
    // She shares it with dan, who sees it and nothing else of hers.
    await as(t, f.cookies.eve).put(`/projects/${mine}/members/dan`, { role: 'viewer' }).expect(200);
    expect(await members(f.cookies.eve).catch(() => null)).toBeNull(); // eve has no role on the team project
    const list = (await as(t, f.cookies.eve).get(`/projects/${mine}/members`).expect(200)).body as { githubUsername: string; role: string; source: string }[];
    expect(list.map((m) => `${m.githubUsername} ${m.role} ${m.source}`)).toEqual(['dan viewer project', 'eve owner account']);
    expect(((await as(t, f.cookies.dan).get('/projects').expect(200)).body as { id: string }[]).map((p) => p.id)).toContain(mine);
    await as(t, f.cookies.eve).delete(`/projects/${mine}`).expect(204);
  });

  it('bad input is a 400 naming the field, and changes nothing', async () => {
    const role = await as(t, f.cookies.alice).put(`/projects/${f.ids.project}/members/eve`, { role: 'god' });
    expect(role.status).toBe(400);
    expect(Object.keys(role.body.error.fields as object)).toEqual(['role']);
    const extra = await as(t, f.cookies.alice).put(`/projects/${f.ids.project}/members/eve`, { role: 'viewer', admin: true });
    expect(extra.status).toBe(400);
    expect(Object.keys(extra.body.error.fields as object)).toEqual(['admin']);
    const login = await as(t, f.cookies.alice).put(`/projects/${f.ids.project}/members/${encodeURIComponent('eve;drop')}`, { role: 'viewer' });
    expect(login.status).toBe(400);
    expect(Object.keys(login.body.error.fields as object)).toEqual(['login']);
    const nobody = await as(t, f.cookies.alice).put(`/projects/${f.ids.project}/members/nobody-here`, { role: 'viewer' });
    expect(nobody.status).toBe(404);
    // A team's account is no one.
    await as(t, f.cookies.alice).put(`/projects/${f.ids.project}/members/acme`, { role: 'viewer' }).expect(404);
    expect(await t.db.query(`SELECT * FROM project_members`)).toEqual([]);
  });

  it('taking a role away ends the person\'s open log streams of the project at once', async () => {
    await as(t, f.cookies.alice).put(`/projects/${f.ids.project}/members/eve`, { role: 'developer' }).expect(200);
    const server: Server = await listen(t.app, '127.0.0.1', 0);
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const controller = new AbortController();
      const res = await fetch(`http://127.0.0.1:${String(port)}/api/deployments/${f.ids.deployment}/logs/stream`, { headers: { Cookie: f.cookies.eve }, signal: controller.signal });
      expect(res.status).toBe(200);
      const reader = res.body?.getReader();
      await t.events.logSubscribers(f.ids.deployment);
      const started = Date.now();
      await as(t, f.cookies.alice).put(`/projects/${f.ids.project}/members/eve`, { role: 'viewer' }).expect(200);
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
      }
      // Well before the periodic check (15 s).
      expect(Date.now() - started).toBeLessThan(5000);
      controller.abort();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
