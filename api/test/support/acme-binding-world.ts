import { connect, post } from './github-app-flow.js';
import type { FakeApp, FakeRepository } from './fake-github-app.js';
import { startTestPlatform, type TestPlatform } from './platform.js';
import { as, invite } from './team-fixture.js';

/** The world of the repository-binding re-check tests: who is who, and what they share. */
export interface AcmeBindingWorld {
  t: TestPlatform;
  app: FakeApp;
  /** The admin's cookie (`root`). */
  root: string;
  cookies: Record<'alice' | 'bob' | 'carol', string>;
  ids: Record<'alice' | 'bob' | 'carol', string>;
  /** `acme/secret`, acme's private repository, with the App installed on the organization. */
  secret: FakeRepository;
  team: string;
  project: string;
}

/**
 * A platform whose admin connected the App; the organization acme installed it on its private
 * repository `acme/secret`, of which alice and bob are members and carol is not; the team
 * Acme (alice owns it, bob and carol are maintainers: they may change services, and bind)
 * with its project `shop`.
 */
export async function startAcmeBindingWorld(): Promise<AcmeBindingWorld> {
  const t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'root' });
  const root = await t.signIn('root', 1);
  const app = await connect(t, root);
  const cookies = { alice: '', bob: '', carol: '' };
  const ids = { alice: '', bob: '', carol: '' };
  for (const [login, id] of [['alice', 5001], ['bob', 5002], ['carol', 5003]] as const) {
    cookies[login] = await t.signIn(login, id);
    const [row] = await t.db.query<{ id: string }[]>(`SELECT id FROM users WHERE github_username = $1`, [login]);
    ids[login] = row?.id ?? '';
  }
  t.github.orgs.set('acme', new Set(['alice', 'bob']));
  const secret = t.github.app.addRepository('acme/secret');
  await post(t, t.github.app.install(app, { login: 'acme', id: 9001, type: 'Organization' }, [secret]).delivery).expect(200);
  const team = (await as(t, cookies.alice).post('/teams', { name: 'Acme', slug: 'acme' }).expect(201)).body.id as string;
  await invite(t, cookies.alice, team, cookies.bob, 'bob', 'maintainer');
  await invite(t, cookies.alice, team, cookies.carol, 'carol', 'maintainer');
  const project = (await as(t, cookies.alice).post('/projects', { name: 'shop', teamId: team }).expect(201)).body.id as string;
  return { t, app, root, cookies, ids, secret, team, project };
}
