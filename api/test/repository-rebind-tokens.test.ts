import type { FakeRepository } from './support/fake-github-app.js';
import type { TestPlatform } from './support/platform.js';
import { startAcmeBindingWorld } from './support/acme-binding-world.js';
import { as } from './support/team-fixture.js';
import { jest } from '@jest/globals';
import { dueBindings } from '../src/github/binding-recheck.js';
import { userTokenFor } from '../src/github/user-tokens.js';

/*
 * The repository binding's re-check with GitHub App user tokens as GitHub issues them
 * (docs/architecture.md#github-app, github/binding-recheck.ts, github/user-tokens.ts): they
 * expire after 8 hours and are refreshed with the rotating refresh token stored at sign-in;
 * a binding nobody could be asked about is kept for a grace of 7 days after its last proof;
 * the prover is asked first, 20 members at most; a secondary rate limit says nothing; a
 * Check access meanwhile keeps its own proof; the pass takes bindings whose prover lost the
 * right first; changes while a re-check runs coalesce. Real PostgreSQL and the real process;
 * GitHub is the fake (expiring App user tokens, refresh rotation, as GitHub's default).
 */

describe('re-checking a repository binding with expiring GitHub App user tokens', () => {
  let t: TestPlatform;
  let secret: FakeRepository;
  let cookies: Record<string, string> = {};
  let ids: Record<string, string> = {};
  let team: string;
  let project: string;
  let serial = 0;
  let root: string;

  beforeEach(async () => {
    ({ t, root, cookies, ids, secret, team, project } = await startAcmeBindingWorld());
  }, 90_000);
  afterEach(async () => {
    await t.close();
  });

  async function newService(login: string): Promise<string> {
    serial += 1;
    return (await as(t, cookies[login] ?? '').post(`/projects/${project}/services`, { name: `web${String(serial)}`, repoUrl: 'https://github.com/acme/secret', port: 8080 }).expect(201)).body.id as string;
  }
  const binding = async (serviceId: string) =>
    (await t.db.query<{ id: string | null; by: string | null }[]>(`SELECT github_repository_id::text AS id, repository_proven_by AS by FROM services WHERE id = $1`, [serviceId]))[0];
  const ageProof = (serviceId: string, age = '25 hours') => t.db.query(`UPDATE services SET repository_proven_at = now() - $2::interval WHERE id = $1`, [serviceId, age]);
  const asked = () => t.github.repositoryRequests.filter((r) => r.repo === 'acme/secret').map((r) => r.login);
  const tokens = async (login: string) =>
    (await t.db.query<{ access: string; refresh: string | null; expires: Date | null }[]>(
      `SELECT github_access_token AS access, github_refresh_token AS refresh, github_token_expires_at AS expires FROM users WHERE github_username = $1`,
      [login],
    ))[0];
  /** Eight hours later, for the user tokens only: GitHub refuses them, the platform knows they expired. */
  async function tokensExpire(): Promise<void> {
    t.github.app.userTokens.expireAll();
    await t.db.query(`UPDATE users SET github_token_expires_at = now() - interval '1 minute' WHERE github_token_expires_at IS NOT NULL`);
  }

  it('stores the refresh token encrypted at sign-in, refreshes an expired token before asking, and stores the rotated pair', async () => {
    const stored = await tokens('alice');
    const [refresh] = t.github.app.userTokens.refreshes;
    expect(refresh).toBeUndefined();
    expect(stored?.refresh).toMatch(/^v1:/);
    const firstRefresh = t.encryptor.decrypt(stored?.refresh ?? '');
    expect(firstRefresh).toMatch(/^ghr_/);
    expect(stored?.expires?.getTime()).toBeGreaterThan(Date.now() + 7.9 * 3600_000);
    const service = await newService('alice');
    await ageProof(service);
    await tokensExpire();
    t.github.repositoryRequests.length = 0;

    expect(await t.controller.recheckBindings()).toMatchObject({ reproven: 1, kept: 0, cleared: 0 });
    expect(t.github.app.userTokens.refreshes).toEqual([{ refreshToken: firstRefresh, ok: true }]);
    expect(asked()).toEqual(['alice']);
    const after = await tokens('alice');
    const access = t.encryptor.decrypt(after?.access ?? '');
    expect(t.github.userOf(access)?.login).toBe('alice');
    expect(t.encryptor.decrypt(after?.refresh ?? '')).not.toBe(firstRefresh);
    expect(after?.expires?.getTime()).toBeGreaterThan(Date.now() + 7.9 * 3600_000);
    // The refresh token rotated: the one spent is GitHub's bad_refresh_token now.
    expect(t.github.app.userTokens.redeem(t.github.app.userTokens.clientOf(access)?.clientId ?? '', firstRefresh)).toBeUndefined();
  });

  it('two processes refreshing one user at once spend its refresh token once, and both get the new token', async () => {
    await tokensExpire();
    const deps = { db: t.db, encryptor: t.encryptor, githubApp: t.ctx.githubApp };
    // Another process (an api replica, the leader): its own copy of the module, so nothing in memory is shared.
    let other: typeof import('../src/github/user-tokens.js') | undefined;
    await jest.isolateModulesAsync(async () => {
      other = await import('../src/github/user-tokens.js');
    });
    if (!other || other.userTokenFor === userTokenFor) throw new Error('no second copy of the module');
    const [mine, theirs] = await Promise.all([userTokenFor(deps, ids.alice ?? ''), other.userTokenFor(deps, ids.alice ?? '')]);
    expect(t.github.app.userTokens.refreshes.map((r) => r.ok)).toEqual([true]);
    expect(theirs).toEqual(mine);
    const token = typeof mine === 'object' ? mine.token : '';
    expect(t.github.userOf(token)?.login).toBe('alice');
    expect(t.encryptor.decrypt((await tokens('alice'))?.access ?? '')).toBe(token);
  });

  it('Check access with an expired token refreshes it first and binds', async () => {
    const service = await newService('bob');
    await t.db.query(`UPDATE services SET github_repository_id = NULL, repository_proven_by = NULL, repository_proven_at = NULL WHERE id = $1`, [service]);
    await tokensExpire();
    await as(t, cookies.alice ?? '').post(`/services/${service}/repository-access`).expect(200);
    expect(await binding(service)).toEqual({ id: String(secret.id), by: ids.alice });
    expect(t.github.app.userTokens.refreshes).toEqual([{ refreshToken: expect.stringMatching(/^ghr_/), ok: true }]);
  });

  it('nobody could be asked (refresh tokens refused): kept for 7 days after its last proof, then cleared', async () => {
    const service = await newService('alice');
    await ageProof(service, '6 days');
    await tokensExpire();
    await t.db.query(`UPDATE users SET github_refresh_token = $1 WHERE github_refresh_token IS NOT NULL`, [t.encryptor.encrypt('ghr_revoked')]);
    t.github.repositoryRequests.length = 0;
    expect(await t.controller.recheckBindings()).toMatchObject({ kept: 1, cleared: 0 });
    expect(asked()).toEqual([]);
    // GitHub's bad_refresh_token: they must sign in again (the refresh token is forgotten).
    expect((await tokens('alice'))?.refresh).toBeNull();
    expect((await binding(service))?.id).toBe(String(secret.id));
    await ageProof(service, '8 days');
    expect(await t.controller.recheckBindings()).toMatchObject({ kept: 0, cleared: 1 });
    expect((await binding(service))?.id).toBeNull();
    const [unbound] = await t.db.query<{ subject: string }[]>(`SELECT subject FROM service_activity WHERE service_id = $1 AND action = 'repository.unbound'`, [service]);
    expect(unbound?.subject).toContain('could be used to show access to it again for 7 days');
  });

  it('asks the prover first, then the others (the last signed-in first), 20 at most', async () => {
    const service = await newService('bob');
    await ageProof(service);
    cookies.carol = await t.signIn('carol', 5003);
    t.github.orgs.set('acme', new Set(['alice']));
    t.github.repositoryRequests.length = 0;
    expect(await t.controller.recheckBindings()).toMatchObject({ reproven: 1 });
    expect(asked()).toEqual(['bob', 'carol', 'alice']);
    expect((await binding(service))?.by).toBe(ids.alice);

    // 22 more maintainers, each with an App token: nobody reads it, 20 are asked.
    for (let i = 0; i < 22; i += 1) {
      await t.signIn(`m${String(i)}`, 6000 + i);
      await t.db.query(`INSERT INTO team_members (team_id, user_id, role) SELECT $1, id, 'maintainer' FROM users WHERE github_username = $2`, [team, `m${String(i)}`]);
    }
    t.github.orgs.set('acme', new Set());
    await ageProof(service);
    t.github.repositoryRequests.length = 0;
    expect(await t.controller.recheckBindings()).toMatchObject({ cleared: 1 });
    expect(asked()).toHaveLength(20);
    expect(asked()[0]).toBe('alice');
  }, 120_000);

  it('a 403 naming a secondary rate limit, without its headers, clears nothing', async () => {
    const service = await newService('alice');
    await ageProof(service);
    t.github.orgs.set('acme', new Set());
    t.github.failRepositoryNext.push({ status: 403, message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' });
    expect(await t.controller.recheckBindings()).toMatchObject({ kept: 1, cleared: 0 });
    expect((await binding(service))?.id).toBe(String(secret.id));
  });

  it('a Check access while a re-check asks GitHub keeps its proof: the re-check writes only the binding it read', async () => {
    const service = await newService('bob');
    await ageProof(service);
    t.github.orgs.set('acme', new Set());
    // While GitHub is asked for bob (404 then), alice reads it and checks access; then she leaves the org on GitHub.
    t.github.beforeRepositoryAnswer = async () => {
      t.github.orgs.set('acme', new Set(['alice']));
      await as(t, cookies.alice ?? '').post(`/services/${service}/repository-access`).expect(200);
      t.github.orgs.set('acme', new Set());
    };
    expect(await t.controller.recheckBindings()).toMatchObject({ cleared: 0, skipped: 1 });
    expect(await binding(service)).toEqual({ id: String(secret.id), by: ids.alice });
    expect(await t.db.query(`SELECT 1 FROM service_activity WHERE service_id = $1 AND action = 'repository.unbound'`, [service])).toEqual([]);
  });

  it('a Check access by a member removed while GitHub is asked records nothing', async () => {
    const service = await newService('bob');
    await t.db.query(`UPDATE services SET github_repository_id = NULL, repository_proven_by = NULL, repository_proven_at = NULL WHERE id = $1`, [service]);
    t.github.beforeRepositoryAnswer = async () => {
      await t.db.query(`DELETE FROM team_members WHERE user_id = $1`, [ids.bob]);
    };
    await as(t, cookies.bob ?? '').post(`/services/${service}/repository-access`).expect(404);
    expect(await binding(service)).toEqual({ id: null, by: null });
  });

  it('a prover deleted while their block\'s re-check asks GitHub: the re-check reads the binding again and a member proves it', async () => {
    const service = await newService('bob');
    // Alice is asked first (bob is blocked); meanwhile an admin removes bob: his proof loses its prover.
    t.github.beforeRepositoryAnswer = async () => {
      await as(t, root).delete(`/admin/users/${ids.bob ?? ''}`).expect(204);
    };
    await as(t, root).post(`/admin/users/${ids.bob ?? ''}/block`).expect(200);
    for (let i = 0; i < 400 && (await binding(service))?.by !== ids.alice; i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await binding(service)).toEqual({ id: String(secret.id), by: ids.alice });
    expect(await t.db.query(`SELECT 1 FROM users WHERE id = $1`, [ids.bob])).toEqual([]);
  });

  it('a member removed while the re-check asks their token is not recorded as the prover', async () => {
    const service = await newService('bob');
    // Bob leaves; alice is asked (and reads it), but she is removed from the team meanwhile: carol, asked next, cannot read it.
    t.github.beforeRepositoryAnswer = async () => {
      await t.db.query(`DELETE FROM team_members WHERE user_id = $1`, [ids.alice]);
    };
    await t.db.query(`DELETE FROM team_members WHERE user_id = $1`, [ids.bob]);
    expect(await t.controller.recheckBindings()).toMatchObject({ cleared: 1, reproven: 0 });
    expect(await binding(service)).toEqual({ id: null, by: null });
  });

  it('the pass takes bindings whose prover lost the right first, then those re-checked longest ago', async () => {
    const kept = await newService('alice');
    const lost = await newService('bob');
    await ageProof(kept, '3 days');
    await ageProof(lost, '2 days');
    await t.db.query(`DELETE FROM team_members WHERE user_id = $1`, [ids.bob]);
    expect(await dueBindings(t.db)).toEqual([lost, kept]);
    const other = await newService('alice');
    await ageProof(other, '2 days');
    await t.db.query(`UPDATE services SET repository_rechecked_at = now() WHERE id = $1`, [kept]);
    expect(await dueBindings(t.db)).toEqual([lost, other, kept]);
  });

  it('role changes while a re-check runs coalesce into one re-check per scope', async () => {
    const service = await newService('bob');
    await ageProof(service);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started: () => void = () => undefined;
    const asking = new Promise<void>((resolve) => {
      started = resolve;
    });
    t.github.beforeRepositoryAnswer = async () => {
      started();
      await held;
    };
    t.github.repositoryRequests.length = 0;
    await as(t, cookies.alice ?? '').patch(`/teams/${team}/members/${ids.bob ?? ''}`, { role: 'owner' }).expect(200);
    await asking;
    for (const role of ['maintainer', 'owner', 'maintainer', 'owner']) await as(t, cookies.alice ?? '').patch(`/teams/${team}/members/${ids.bob ?? ''}`, { role }).expect(200);
    release();
    const fresh = async () => (await t.db.query<{ fresh: boolean }[]>(`SELECT repository_proven_at > now() - interval '1 hour' AS fresh FROM services WHERE id = $1`, [service]))[0]?.fresh;
    for (let i = 0; i < 400 && !(await fresh()); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await fresh()).toBe(true);
    expect(asked()).toEqual(['bob']);
  });
});
