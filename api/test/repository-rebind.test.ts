import request from 'supertest';
import { post } from './support/github-app-flow.js';
import type { FakeApp, FakeRepository } from './support/fake-github-app.js';
import type { TestPlatform } from './support/platform.js';
import { startAcmeBindingWorld } from './support/acme-binding-world.js';
import { as } from './support/team-fixture.js';
import { deliveryHeaders, pushPayload, randomSha } from './support/webhook-payloads.js';
import { BuildSource } from '../src/pipeline/build-source.js';
import { DeploymentRows } from '../src/pipeline/deployment-rows.js';

/*
 * A proven repository binding outlives its proof only while someone who may change the
 * service still shows GitHub they read the repository (docs/architecture.md#github-app,
 * github/binding-recheck.ts): its prover leaving the team, or losing access on GitHub, gets
 * it proven again by another member who reads it, or cleared, and the service's pushes are
 * then not built, with the reason. GitHub not answering clears nothing; a public repository's
 * binding is not asked. Real PostgreSQL and the real process (the leading controller's pass,
 * the pipeline's build source); GitHub is the fake, which answers `GET /repos/{owner}/{repo}`
 * to an App user token as GitHub does: an organization's private repository to its members
 * through the App's installation on the organization, 404 to anyone else.
 */

interface ServiceBody {
  id: string;
  webhookSecret: string;
  can: { deploy: { ok: boolean; reason: string | null } };
}

const UNBOUND = 'The platform has not checked that you can read acme/secret';

describe('a proven repository binding, proven again', () => {
  let t: TestPlatform;
  let app: FakeApp;
  let secret: FakeRepository;
  let cookies: Record<string, string> = {};
  let ids: Record<string, string> = {};
  let team: string;
  let project: string;
  let serial = 0;
  let root: string;

  beforeEach(async () => {
    ({ t, app, root, cookies, ids, secret, team, project } = await startAcmeBindingWorld());
  }, 90_000);
  afterEach(async () => {
    await t.close();
  });

  async function newService(login: string, repo = 'acme/secret', inProject = project): Promise<ServiceBody> {
    serial += 1;
    return (await as(t, cookies[login] ?? '').post(`/projects/${inProject}/services`, { name: `web${String(serial)}`, repoUrl: `https://github.com/${repo}`, port: 8080 }).expect(201)).body as ServiceBody;
  }
  const binding = async (serviceId: string) =>
    (await t.db.query<{ id: string | null; by: string | null; at: Date | null; publicOnly: boolean }[]>(
      `SELECT github_repository_id::text AS id, repository_proven_by AS by, repository_proven_at AS at, github_repository_public_only AS "publicOnly" FROM services WHERE id = $1`,
      [serviceId],
    ))[0];
  const activity = (serviceId: string) =>
    t.db.query<{ action: string; actor_login: string; subject: string }[]>(`SELECT action, actor_login, subject FROM service_activity WHERE service_id = $1 ORDER BY id`, [serviceId]);
  const builds = (serviceId: string) => t.db.query<{ id: string }[]>(`SELECT id FROM deployments WHERE service_id = $1 ORDER BY created_at`, [serviceId]);
  /** Waits for the binding to be as `done` says (the re-check after a membership change runs in the background). */
  async function until(serviceId: string, done: (b: Awaited<ReturnType<typeof binding>>) => boolean): Promise<void> {
    for (let i = 0; i < 400; i += 1) {
      if (done(await binding(serviceId))) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`the binding of ${serviceId} never became as expected: ${JSON.stringify(await binding(serviceId))}`);
  }
  const ageProof = (serviceId: string) => t.db.query(`UPDATE services SET repository_proven_at = now() - interval '25 hours' WHERE id = $1`, [serviceId]);
  /** A push through the service's own webhook (its members hold the secret): a build recorded whatever the binding. */
  async function recordBuild(service: ServiceBody) {
    const body = JSON.stringify(pushPayload({ repo: 'acme/secret', ref: 'refs/heads/main', after: randomSha() }));
    const answer = await request(t.app).post(`/webhooks/github/${service.id}`).set(deliveryHeaders(service.webhookSecret, body, 'push')).send(body).expect(202);
    const row = await new DeploymentRows({ db: t.db, events: t.ctx.events, logger: t.ctx.logger }).load(String(answer.body.deploymentId));
    if (!row) throw new Error('the push recorded no build');
    return row;
  }
  const source = () => new BuildSource({ db: t.db, encryptor: t.encryptor, githubApp: t.ctx.githubApp, github: t.ctx.github });

  it('the prover leaves the team: another member who reads it proves it again; when none does, it is cleared and a push does not build', async () => {
    const service = await newService('bob');
    expect(await binding(service.id)).toEqual({ id: String(secret.id), by: ids.bob, at: expect.any(Date), publicOnly: false });

    // Bob leaves the team: alice, a member who reads the repository, proves it again with her token.
    await as(t, cookies.bob ?? '').delete(`/teams/${team}/members/${ids.bob ?? ''}`).expect(204);
    await until(service.id, (b) => b?.by === ids.alice);
    expect((await binding(service.id))?.id).toBe(String(secret.id));
    expect(await activity(service.id)).toEqual([{ action: 'repository.reproven', actor_login: 'alice', subject: expect.stringContaining('@bob\'s proof no longer held') }]);

    // Alice hands the team to carol and leaves: carol, the one member left, cannot read it (GitHub answers her 404).
    await as(t, cookies.alice ?? '').patch(`/teams/${team}/members/${ids.carol ?? ''}`, { role: 'owner' }).expect(200);
    await as(t, cookies.alice ?? '').delete(`/teams/${team}/members/${ids.alice ?? ''}`).expect(204);
    await until(service.id, (b) => b?.id === null);
    expect(await binding(service.id)).toEqual({ id: null, by: null, at: null, publicOnly: false });
    const [, cleared] = await activity(service.id);
    expect(cleared).toEqual({ action: 'repository.unbound', actor_login: 'platform', subject: expect.stringContaining('@alice, who showed access to it, may no longer change this service') });

    // An App push of the repository reaches no service now, and the service says why.
    const pushed = t.github.app.push(app, secret, { ref: 'refs/heads/main', after: randomSha() });
    await post(t, pushed).expect(202);
    expect(await builds(service.id)).toEqual([]);
    const shown = (await as(t, cookies.carol ?? '').get(`/services/${service.id}`).expect(200)).body as ServiceBody;
    expect(shown.can.deploy).toEqual({ ok: false, reason: expect.stringContaining(UNBOUND) });
    // Its own webhook records a build, which is refused with the reason before any token is minted.
    const row = await recordBuild(service);
    expect(await source().tokenFor(row)).toEqual({ refused: expect.stringContaining(`${UNBOUND} on GitHub, so it does not build it: open the service's settings and choose "Check access"`) });
    // Carol's Check access binds nothing; once she is a member of acme on GitHub, it does.
    await as(t, cookies.carol ?? '').post(`/services/${service.id}/repository-access`).expect(409);
    t.github.orgs.get('acme')?.add('carol');
    await as(t, cookies.carol ?? '').post(`/services/${service.id}/repository-access`).expect(200);
    expect(await binding(service.id)).toEqual({ id: String(secret.id), by: ids.carol, at: expect.any(Date), publicOnly: false });
  });

  it('removed from the project, demoted below maintainer, blocked: the bindings they proved are proven by another member or cleared', async () => {
    t.github.orgs.set('acme', new Set(['alice', 'bob', 'carol']));
    // Alice's own project, where bob is a maintainer by a project role: his service of it.
    const tools = (await as(t, cookies.alice ?? '').post('/projects', { name: 'tools' }).expect(201)).body.id as string;
    await as(t, cookies.alice ?? '').put(`/projects/${tools}/members/bob`, { role: 'maintainer' }).expect(200);
    const personal = await newService('bob', 'acme/secret', tools);
    const byCarol = await newService('carol');
    const byBob = await newService('bob');
    expect((await binding(personal.id))?.by).toBe(ids.bob);
    // Alice leaves acme on GitHub: of the team's side, only bob and carol read it now.
    t.github.orgs.set('acme', new Set(['bob', 'carol']));

    // Bob's project role taken away: alice, the project's one member left, cannot read it: cleared.
    await as(t, cookies.alice ?? '').delete(`/projects/${tools}/members/bob`).expect(204);
    await until(personal.id, (b) => b?.id === null);
    expect((await activity(personal.id)).map((a) => [a.action, a.subject])).toEqual([['repository.unbound', expect.stringContaining('@bob, who showed access to it, may no longer change this service')]]);
    // Bob's team service is not touched by that: he still may change it.
    expect(await binding(byBob.id)).toMatchObject({ id: String(secret.id), by: ids.bob });

    // Carol made a developer: bob reads it, and proves her binding again.
    await as(t, cookies.alice ?? '').patch(`/teams/${team}/members/${ids.carol ?? ''}`, { role: 'developer' }).expect(200);
    await until(byCarol.id, (b) => b?.by === ids.bob);

    // Bob blocked by the admin: both bindings he holds now are asked of alice (404) and cleared.
    await as(t, root).post(`/admin/users/${ids.bob ?? ''}/block`).expect(200);
    await until(byBob.id, (b) => b?.id === null);
    await until(byCarol.id, (b) => b?.id === null);
    expect((await activity(byBob.id)).map((a) => a.action)).toEqual(['repository.unbound']);
    expect((await activity(byCarol.id)).map((a) => a.action)).toEqual(['repository.reproven', 'repository.unbound']);
  });

  it('the prover loses access on GitHub: the leader\'s daily re-check and a build\'s each clear the binding nobody else shows', async () => {
    const service = await newService('alice');
    const other = await newService('alice');
    // Alice and bob leave acme on GitHub (carol was never a member): nobody on the team reads it now.
    t.github.orgs.set('acme', new Set());
    // A fresh proof is not asked again.
    expect((await t.controller.recheckBindings()).cleared).toBe(0);
    expect((await binding(service.id))?.id).toBe(String(secret.id));
    // A day later, the leader's pass asks alice's token (404), then bob's and carol's (404): cleared.
    await ageProof(service.id);
    expect(await t.controller.recheckBindings()).toMatchObject({ cleared: 1, kept: 0, reproven: 0 });
    expect((await binding(service.id))?.id).toBeNull();
    expect(await activity(service.id)).toEqual([
      { action: 'repository.unbound', actor_login: 'platform', subject: expect.stringContaining('GitHub says @alice, who showed access to it, can no longer read it') },
    ]);
    // The other service's build, its proof a day old, asks first: refused with the reason, the binding cleared.
    const row = await recordBuild(other);
    await ageProof(other.id);
    const minted = t.github.app.tokenRequests.length;
    expect(await source().tokenFor(row)).toEqual({ refused: expect.stringContaining(UNBOUND) });
    expect(t.github.app.tokenRequests).toHaveLength(minted);
    expect((await binding(other.id))?.id).toBeNull();
    expect((await activity(other.id)).map((a) => a.action)).toEqual(['repository.unbound']);
  });

  it('a prover who still may bind but whose GitHub sign-in expired keeps the binding until GitHub can be asked with a fresh one', async () => {
    const service = await newService('alice');
    t.github.orgs.set('acme', new Set());
    await ageProof(service.id);
    // A token GitHub no longer takes (401), as an App user token once expired: nothing says she lost access.
    await t.db.query(`UPDATE users SET github_access_token = $2 WHERE github_username = $1`, ['alice', t.encryptor.encrypt('ghu_expired')]);
    expect(await t.controller.recheckBindings()).toMatchObject({ kept: 1, cleared: 0 });
    expect((await binding(service.id))?.id).toBe(String(secret.id));
    // She signs in again: her fresh token gets GitHub's 404, and nobody else reads it.
    cookies.alice = await t.signIn('alice', 5001);
    expect(await t.controller.recheckBindings()).toMatchObject({ kept: 0, cleared: 1 });
    expect((await binding(service.id))?.id).toBeNull();
  });

  it('a binding nobody is recorded as proving (an upgrade\'s) is proven by a member who reads it, else cleared', async () => {
    const kept = await newService('alice');
    const gone = await newService('alice');
    await t.db.query(`UPDATE services SET repository_proven_by = NULL, repository_proven_at = NULL WHERE id = ANY($1::uuid[])`, [[kept.id, gone.id]]);
    // Bob reads it: the first pass proves the first one with a member's token.
    expect((await t.controller.recheckBindings()).reproven).toBe(2);
    // Carol signed in last and is asked first (404); bob reads it.
    expect((await binding(kept.id))?.by).toBe(ids.bob);
    await t.db.query(`UPDATE services SET repository_proven_by = NULL, repository_proven_at = NULL WHERE id = $1`, [gone.id]);
    t.github.orgs.set('acme', new Set());
    expect((await t.controller.recheckBindings()).cleared).toBe(1);
    expect((await binding(gone.id))?.id).toBeNull();
    expect(await activity(gone.id)).toEqual([
      { action: 'repository.reproven', actor_login: 'bob', subject: 'acme/secret: shown again with @bob\'s GitHub access' },
      { action: 'repository.unbound', actor_login: 'platform', subject: expect.stringContaining('nobody is recorded as having shown access to it') },
    ]);
  });

  it('GitHub answering 500 or its rate limit clears nothing: the binding stays, the build reads through the App; once GitHub answers, it is cleared', async () => {
    const service = await newService('alice');
    const row = await recordBuild(service);
    await ageProof(service.id);
    const before = await binding(service.id);
    t.github.orgs.set('acme', new Set());
    // GitHub's rate limit (a 403 with x-ratelimit-remaining: 0) is not a refusal: nothing changes.
    t.github.failRepositoryNext.push({ status: 403, message: 'API rate limit exceeded', headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1893456000' } });
    expect(await t.controller.recheckBindings()).toMatchObject({ kept: 1, cleared: 0 });
    expect(t.github.failRepositoryNext).toHaveLength(0);
    // GitHub answers 500 (to alice's token, asked first): nobody else is asked, nothing changes.
    for (let i = 0; i < 10; i += 1) t.github.failRepositoryNext.push({ status: 500, message: 'Internal Server Error' });
    expect(await t.controller.recheckBindings()).toMatchObject({ kept: 1, cleared: 0 });
    expect(t.github.failRepositoryNext).toHaveLength(9);
    expect(await binding(service.id)).toEqual(before);
    expect(await activity(service.id)).toEqual([]);
    // The prover leaves the team during the outage: its re-check and the build's each get a 503
    // for the first member they ask: nothing is cleared, and the build reads through the App.
    t.github.failRepositoryNext.length = 0;
    for (let i = 0; i < 20; i += 1) t.github.failRepositoryNext.push({ status: 503, message: 'Service Unavailable' });
    await as(t, cookies.alice ?? '').patch(`/teams/${team}/members/${ids.bob ?? ''}`, { role: 'owner' }).expect(200);
    await as(t, cookies.alice ?? '').delete(`/teams/${team}/members/${ids.alice ?? ''}`).expect(204);
    expect(await source().tokenFor(row)).toEqual({ token: expect.stringMatching(/^ghs_/) });
    for (let i = 0; i < 400 && t.github.failRepositoryNext.length > 18; i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(t.github.failRepositoryNext).toHaveLength(18);
    expect(await binding(service.id)).toEqual(before);
    expect(await activity(service.id)).toEqual([]);
    // GitHub answers again: a definite 404 to every member's token clears it.
    t.github.failRepositoryNext.length = 0;
    expect((await t.controller.recheckBindings()).cleared).toBe(1);
    expect((await binding(service.id))?.id).toBeNull();
  });

  it('a public repository\'s binding is not asked again: it stays when its creator leaves and GitHub refuses everyone', async () => {
    const open = t.github.app.addRepository('acme/open', { private: false });
    const service = await newService('bob', 'acme/open');
    expect(await binding(service.id)).toMatchObject({ id: String(open.id), by: null, publicOnly: true });
    t.github.orgs.set('acme', new Set());
    await as(t, cookies.bob ?? '').delete(`/teams/${team}/members/${ids.bob ?? ''}`).expect(204);
    await t.db.query(`UPDATE services SET repository_proven_at = now() - interval '25 hours' WHERE id = $1`, [service.id]);
    // Were anyone asked, GitHub would answer 404: nobody is.
    for (let i = 0; i < 10; i += 1) t.github.failRepositoryNext.push({ status: 404, message: 'Not Found' });
    expect(await t.controller.recheckBindings()).toEqual({ skipped: 0, cleared: 0, kept: 0, reproven: 0, public: 0 });
    expect(t.github.failRepositoryNext).toHaveLength(10);
    t.github.failRepositoryNext.length = 0;
    expect(await binding(service.id)).toMatchObject({ id: String(open.id), publicOnly: true });
    expect(await activity(service.id)).toEqual([]);
    // A push of it builds as before.
    await post(t, t.github.app.push(app, open, { ref: 'refs/heads/main', after: randomSha() })).expect(200);
    expect(await builds(service.id)).toHaveLength(1);
  });
});
