/**
 * Teams (issue 36) on the real PostgreSQL and state repo: members and roles, the last
 * owner, concurrent role changes, invitations (reused, expired, another login's), a
 * removed member's streams and in-flight requests, and the activity log whose entries
 * name the state-repo commit of the acting member.
 */
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import { promisify } from 'node:util';
import request from 'supertest';
import type { DeploymentDto } from '@dangus/common';
import { listen } from '../src/server.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { as, makeTeam, type TeamFixture } from './support/team-fixture.js';

describe('teams: members, invitations, streams and the activity log', () => {
  let t: TestPlatform;
  let f: TeamFixture;

  beforeAll(async () => {
    t = await startTestPlatform();
    f = await makeTeam(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const roles = async () =>
    Object.fromEntries(
      ((await as(t, f.cookies.alice).get(`/teams/${f.teamId}/members`).expect(200)).body as { githubUsername: string; role: string }[]).map((m) => [m.githubUsername, m.role]),
    );

  it('lists the members with their roles, to members only', async () => {
    expect(await roles()).toEqual({ alice: 'owner', bob: 'maintainer', dan: 'developer', vic: 'viewer' });
    await as(t, f.cookies.vic).get(`/teams/${f.teamId}/members`).expect(200);
    await as(t, f.cookies.eve).get(`/teams/${f.teamId}/members`).expect(404);
    expect((await as(t, f.cookies.eve).get('/teams').expect(200)).body).toEqual([]);
  });

  it('refuses to demote or remove the last owner, by themselves or anyone', async () => {
    const demote = await as(t, f.cookies.alice).patch(`/teams/${f.teamId}/members/${f.userIds.alice}`, { role: 'maintainer' });
    expect(demote.status).toBe(409);
    expect(demote.body.error.fields.role).toEqual(['The team needs an owner.']);
    await as(t, f.cookies.alice).delete(`/teams/${f.teamId}/members/${f.userIds.alice}`).expect(409);
    // A maintainer cannot change roles at all: 403 naming the role.
    const byBob = await as(t, f.cookies.bob).patch(`/teams/${f.teamId}/members/${f.userIds.dan}`, { role: 'owner' });
    expect(byBob.status).toBe(403);
    expect(byBob.body.error.message).toContain('Your role on this team is maintainer');
    const bad = await as(t, f.cookies.alice).patch(`/teams/${f.teamId}/members/${f.userIds.dan}`, { role: 'god' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.fields as object)).toEqual(['role']);
    expect(await roles()).toEqual({ alice: 'owner', bob: 'maintainer', dan: 'developer', vic: 'viewer' });
  });

  it('two owners demoting each other at once: one wins, the team keeps an owner', async () => {
    await as(t, f.cookies.alice).patch(`/teams/${f.teamId}/members/${f.userIds.bob}`, { role: 'owner' }).expect(200);
    const [a, b] = await Promise.all([
      as(t, f.cookies.alice).patch(`/teams/${f.teamId}/members/${f.userIds.bob}`, { role: 'maintainer' }),
      as(t, f.cookies.bob).patch(`/teams/${f.teamId}/members/${f.userIds.alice}`, { role: 'maintainer' }),
    ]);
    // The second, under the lock, finds its actor no longer owner (403) or the last owner (409).
    expect([a.status, b.status].sort()).toEqual([200, a.status === 200 ? b.status : a.status].sort());
    expect([a.status, b.status].filter((s) => s === 200)).toHaveLength(1);
    expect([403, 409]).toContain(a.status === 200 ? b.status : a.status);
    const after = await t.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM team_members WHERE team_id = $1 AND role = 'owner'`, [f.teamId]);
    expect(after[0]?.n).toBe(1);
    // Back to the fixture's roles.
    await t.db.query(`UPDATE team_members SET role = CASE WHEN user_id = $2 THEN 'owner' ELSE 'maintainer' END WHERE team_id = $1 AND user_id IN ($2, $3)`, [f.teamId, f.userIds.alice, f.userIds.bob]);
  });

  it('an invitation is used once, expires, is only for its login, and is stored hashed', async () => {
    const alice = as(t, f.cookies.alice);
    const mine = await alice.post(`/teams/${f.teamId}/invitations`, { role: 'viewer', githubLogin: 'EVE' }).expect(201);
    const token = mine.body.token as string;
    // Another login's invitation does not exist for them.
    await as(t, f.cookies.dan).post('/invitations/accept', { token }).expect(404);
    const stored = await t.db.query<{ token_hash: string }[]>(`SELECT token_hash FROM team_invitations WHERE id = $1`, [mine.body.id]);
    expect(stored[0]?.token_hash).not.toContain(token);
    expect(JSON.stringify(await t.db.query(`SELECT * FROM team_invitations`))).not.toContain(token);
    // Expired.
    await t.db.query(`UPDATE team_invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [mine.body.id]);
    const expired = await as(t, f.cookies.eve).post('/invitations/accept', { token });
    expect(expired.status).toBe(409);
    expect(expired.body.error.message).toContain('expired');
    // A link (no login): anyone signed in, once.
    const link = await alice.post(`/teams/${f.teamId}/invitations`, { role: 'viewer' }).expect(201);
    await as(t, f.cookies.eve).post('/invitations/accept', { token: link.body.token as string }).expect(200);
    const again = await as(t, f.cookies.eve).post('/invitations/accept', { token: link.body.token as string });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('used already');
    // A viewer cannot invite.
    const byVic = await as(t, f.cookies.vic).post(`/teams/${f.teamId}/invitations`, { role: 'owner' });
    expect(byVic.status).toBe(403);
    await alice.delete(`/teams/${f.teamId}/members/${f.userIds.eve}`).expect(204);
    await as(t, f.cookies.eve).get(`/projects/${f.ids.project}`).expect(404);
  });

  it('an invitation does not bypass the sign-in policy: accepting needs a session', async () => {
    const link = await as(t, f.cookies.alice).post(`/teams/${f.teamId}/invitations`, { role: 'viewer' }).expect(201);
    await request(t.app).post('/api/invitations/accept').set('Origin', ORIGIN).send({ token: link.body.token as string }).expect(401);
  });

  it('a maintainer\'s change of a team project is committed with them as its actor, and logged with the commit', async () => {
    const bob = as(t, f.cookies.bob);
    await bob.post(`/projects/${f.ids.project}/services`, { name: 'api', repoUrl: 'https://github.com/acme/api', port: 80 }).set('User-Agent', 'bob-browser/1.0').expect(201);
    // The log entry names the commit once the controller made it.
    let entry: { commitSha: string | null } | undefined;
    for (let i = 0; i < 100 && !entry?.commitSha; i += 1) {
      const log = await as(t, f.cookies.vic).get(`/teams/${f.teamId}/activity?actor=bob&action=create`).expect(200);
      entry = log.body[0] as typeof entry;
      if (!entry?.commitSha) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const log = await as(t, f.cookies.vic).get(`/teams/${f.teamId}/activity?actor=bob&action=create`).expect(200);
    const sha = log.body[0].commitSha as string;
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    const { stdout } = await promisify(execFile)('git', ['--git-dir', t.stateRepoDir, 'show', '-s', '--format=%an%n%B', sha]);
    const [author, ...body] = stdout.split('\n');
    expect(author).toBe('bob');
    expect(body.join('\n')).toContain('Dangus-Actor: bob');
    expect(body[0]).toBe(`create(${f.teamHash}-shop/api): create service api`);
    // Who, what, when for every member; where from only for the team's owners (and admins).
    expect(log.body[0]).toMatchObject({ actor: 'bob', action: 'create', projectId: f.ids.project, commitSha: sha, ip: null, userAgent: null });
    for (const cookie of [f.cookies.bob, f.cookies.dan]) {
      const seen = (await as(t, cookie).get(`/teams/${f.teamId}/activity`).expect(200)).body as { ip: string | null; userAgent: string | null }[];
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((e) => e.ip === null && e.userAgent === null)).toBe(true);
    }
    const byOwner = await as(t, f.cookies.alice).get(`/teams/${f.teamId}/activity?actor=bob&action=create`).expect(200);
    expect(byOwner.body[0]).toMatchObject({ actor: 'bob', commitSha: sha, userAgent: 'bob-browser/1.0' });
    expect(byOwner.body[0].ip).toMatch(/127\.0\.0\.1|::1/);
    // Filters: another project id, a bad one.
    expect((await as(t, f.cookies.vic).get(`/teams/${f.teamId}/activity?projectId=00000000-0000-4000-8000-000000000000`).expect(200)).body).toEqual([]);
    const bad = await as(t, f.cookies.vic).get(`/teams/${f.teamId}/activity?projectId=nope`).expect(400);
    expect(Object.keys(bad.body.error.fields as object)).toEqual(['projectId']);
    await as(t, f.cookies.eve).get(`/teams/${f.teamId}/activity`).expect(404);
  });

  it('a role on one project is narrower: it opens that project alone, and overrides the team role there', async () => {
    await t.db.query(`INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, 'viewer'), ($1, $3, 'viewer')`, [f.ids.project, f.userIds.eve, f.userIds.bob]);
    try {
      await as(t, f.cookies.eve).get(`/projects/${f.ids.project}`).expect(200);
      const byEve = await as(t, f.cookies.eve).patch(`/services/${f.ids.service}`, { port: 82 });
      expect(byEve.status).toBe(403);
      expect(byEve.body.error.message).toContain('Your role on this project is viewer');
      // The team's other projects stay closed to eve.
      await as(t, f.cookies.eve).get(`/teams/${f.teamId}/members`).expect(404);
      // bob, a maintainer of the team, is a viewer on this project.
      const byBob = await as(t, f.cookies.bob).patch(`/services/${f.ids.service}`, { port: 82 });
      expect(byBob.status).toBe(403);
    } finally {
      await t.db.query(`DELETE FROM project_members WHERE project_id = $1`, [f.ids.project]);
    }
  });

  it('a team\'s projects and services count against the team\'s own limits, not the member\'s', async () => {
    const limits = t.ctx.limits;
    const before = { ...limits };
    limits.projectsPerUser = 1;
    limits.projectsPerTeam = 2;
    limits.servicesPerTeam = 2;
    try {
      // MAX_PROJECTS_PER_TEAM: the team has its one project (shop), a second is allowed, a third refused,
      // though alice's own limit (1) is below it and she has none of her own.
      const second = await as(t, f.cookies.alice).post('/projects', { name: 'another', teamId: f.teamId }).expect(201);
      const third = await as(t, f.cookies.bob).post('/projects', { name: 'third', teamId: f.teamId });
      expect(third.status).toBe(409);
      expect(third.body.error.code).toBe('limit_reached');
      expect(third.body.error.message).toContain('Team acme has 2 projects, the most this platform allows per team');
      // And her own one is allowed beside the team's (her limit is hers), a second of hers is not.
      const mine = await as(t, f.cookies.alice).post('/projects', { name: 'personal' }).expect(201);
      expect((await as(t, f.cookies.alice).post('/projects', { name: 'personal2' })).status).toBe(409);
      // MAX_SERVICES_PER_TEAM: across the team's projects (shop has web, maybe api): 2 in all.
      const [row] = await t.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM services s JOIN teams t ON t.account_id = s.user_id WHERE t.id = $1`, [f.teamId]);
      limits.servicesPerTeam = (row?.n ?? 0) + 1;
      await as(t, f.cookies.alice).post(`/projects/${second.body.id as string}/services`, { name: 'one', repoUrl: 'https://github.com/acme/one', port: 80 }).expect(201);
      const over = await as(t, f.cookies.alice).post(`/projects/${second.body.id as string}/services`, { name: 'two', repoUrl: 'https://github.com/acme/two', port: 80 });
      expect(over.status).toBe(409);
      expect(over.body.error.message).toContain(`Team acme has ${String(limits.servicesPerTeam)} services in its projects`);
      // A person's project is not held to the team's services limit.
      await as(t, f.cookies.alice).post(`/projects/${mine.body.id as string}/services`, { name: 'one', repoUrl: 'https://github.com/alice/one', port: 80 }).expect(201);
      await as(t, f.cookies.alice).delete(`/projects/${mine.body.id as string}`).expect(204);
      await as(t, f.cookies.alice).delete(`/projects/${second.body.id as string}`).expect(204);
    } finally {
      Object.assign(limits, before);
    }
  });

  it('MAX_TEAMS_PER_USER bounds the teams a person creates; admins are exempt', async () => {
    const limits = t.ctx.limits;
    const before = limits.teamsPerUser;
    limits.teamsPerUser = 2;
    try {
      // eve has created none: two are allowed, the third is refused and leaves nothing behind.
      await as(t, f.cookies.eve).post('/teams', { name: 'E1', slug: 'eve-one' }).expect(201);
      await as(t, f.cookies.eve).post('/teams', { name: 'E2', slug: 'eve-two' }).expect(201);
      const third = await as(t, f.cookies.eve).post('/teams', { name: 'E3', slug: 'eve-three' });
      expect(third.status).toBe(409);
      expect(third.body.error.code).toBe('limit_reached');
      expect(third.body.error.message).toContain('You have created 2 teams');
      expect(await t.db.query(`SELECT 1 FROM teams WHERE slug = 'eve-three'`)).toEqual([]);
      expect(await t.db.query(`SELECT 1 FROM users WHERE github_username = 'eve-three'`)).toEqual([]);
      // Three at once by someone with one left: exactly one passes (the creator's row is locked).
      await as(t, f.cookies.dan).post('/teams', { name: 'D1', slug: 'dan-one' }).expect(201);
      const racing = await Promise.all(['dan-a', 'dan-b', 'dan-c'].map((slug) => as(t, f.cookies.dan).post('/teams', { name: slug, slug })));
      expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409]);
      // An admin is exempt.
      await t.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [f.userIds.eve]);
      await as(t, f.cookies.eve).post('/teams', { name: 'E3', slug: 'eve-three' }).expect(201);
    } finally {
      limits.teamsPerUser = before;
      await t.db.query(`UPDATE users SET role = 'member' WHERE id = $1`, [f.userIds.eve]);
    }
  });

  it('a developer may not create projects in the team: 403 naming the role', async () => {
    const res = await as(t, f.cookies.dan).post('/projects', { name: 'sneaky', teamId: f.teamId });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('is developer');
    await as(t, f.cookies.eve).post('/projects', { name: 'sneaky', teamId: f.teamId }).expect(404);
  });

  it('a removed member\'s request under way is refused where it writes, and changes nothing', async () => {
    // The removal is under way (its transaction holds bob's membership row) when bob's change starts.
    const removal = t.db.createQueryRunner();
    await removal.connect();
    await removal.startTransaction();
    await removal.query(`DELETE FROM team_members WHERE team_id = $1 AND user_id = $2`, [f.teamId, f.userIds.bob]);
    const pending = as(t, f.cookies.bob).patch(`/services/${f.ids.service}`, { port: 82 }).then((res) => res);
    // bob's change has passed the first check and waits on the membership row inside its transaction.
    for (let i = 0; i < 200; i += 1) {
      const waiting = await t.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%team_members%'`);
      if ((waiting[0]?.n ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await removal.commitTransaction();
    await removal.release();
    const res = await pending;
    expect(res.status).toBe(404);
    const [service] = await t.db.query<{ port: number }[]>(`SELECT port FROM services WHERE id = $1`, [f.ids.service]);
    expect(service?.port).toBe(80);
    await t.db.query(`INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, 'maintainer')`, [f.teamId, f.userIds.bob]);
  });

  it('a member\'s live events carry their team\'s deployments; leaving the team ends the stream', async () => {
    const server: Server = await listen(t.app, '127.0.0.1', 0);
    const controller = new AbortController();
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const res = await fetch(`http://127.0.0.1:${String(port)}/api/events`, { headers: { Cookie: f.cookies.vic }, signal: controller.signal });
      expect(res.status).toBe(200);
      const [account] = await t.db.query<{ account_id: string }[]>(`SELECT account_id FROM teams WHERE id = $1`, [f.teamId]);
      await t.events.deploymentSubscribers(account?.account_id ?? '');
      // The pipeline publishes a team deployment's change to the team's account, as for any owner.
      const deployment = (await as(t, f.cookies.alice).get(`/deployments/${f.ids.deployment}`).expect(200)).body as DeploymentDto;
      t.events.deploymentChanged({ userId: account?.account_id ?? '', deployment: Object.fromEntries(Object.entries(deployment).filter(([key]) => key !== 'buildLogs')) as DeploymentDto });
      const reader = res.body?.getReader();
      let text = '';
      while (!text.includes('event: deployment')) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        text += Buffer.from(chunk.value).toString();
      }
      expect(text).toContain(`"serviceId":"${f.ids.service}"`);
      expect(text).not.toContain('buildLogs":"');
      await as(t, f.cookies.vic).delete(`/teams/${f.teamId}/members/${f.userIds.vic}`).expect(204);
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
      }
    } finally {
      controller.abort();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('removing a member closes their open streams of the team\'s projects at once, and refuses them after', async () => {
    const server: Server = await listen(t.app, '127.0.0.1', 0);
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const controller = new AbortController();
      const res = await fetch(`http://127.0.0.1:${String(port)}/api/deployments/${f.ids.deployment}/logs/stream`, {
        headers: { Cookie: f.cookies.dan },
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      const reader = res.body?.getReader();
      await t.events.logSubscribers(f.ids.deployment);
      const started = Date.now();
      await as(t, f.cookies.alice).delete(`/teams/${f.teamId}/members/${f.userIds.dan}`).expect(204);
      // The stream ends: reads drain to done well before the periodic check (15 s).
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
      }
      expect(Date.now() - started).toBeLessThan(5000);
      controller.abort();
      await as(t, f.cookies.dan).get(`/projects/${f.ids.project}`).expect(404);
      await as(t, f.cookies.dan).post(`/services/${f.ids.service}/restart`).expect(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
