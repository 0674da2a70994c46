/**
 * The upgrade to proven repository bindings (migration 1765460000000) on a real PostgreSQL
 * holding the rows of the version before it: a binding stays only where the rows show it
 * harmless (a public repository, or one of the owner's own account's installation); every
 * other is cleared, for a member to show access again (docs/architecture.md#github-app).
 */
import type { DataSource } from 'typeorm';
import { RepositoryBindings1765460000000 } from '../src/db/migrations/1765460000000-repository-bindings.js';
import { UserTokenRefresh1765590000000 } from '../src/db/migrations/1765590000000-user-token-refresh.js';
import { databaseWithout, type OldDatabase } from './support/migration-database.js';

describe('migration: repository bindings nobody proved are cleared', () => {
  let database: OldDatabase;
  let db: DataSource;
  const services: Record<string, string> = {};

  beforeAll(async () => {
    // The later upgrade that dates the proofs of bindings builds on its column.
    database = await databaseWithout(RepositoryBindings1765460000000, UserTokenRefresh1765590000000);
    const old = database.old;
    const user = async (githubId: number, login: string) =>
      (await old.query<{ id: string }[]>(`INSERT INTO users (github_id, github_username, github_access_token, hash) VALUES ($1, $2, 'x', $3) RETURNING id`, [githubId, login, login.slice(0, 6).padEnd(6, 'x')]))[0]?.id ?? '';
    const alice = await user(5001, 'alice');
    const mallory = await user(5002, 'mallory');
    await old.query(`INSERT INTO github_installations (id, account_id, account_login, account_type, repository_selection) VALUES (77, 5001, 'alice', 'User', 'selected'), (78, 6000, 'acme', 'Organization', 'all')`);
    await old.query(`INSERT INTO github_installation_repositories (installation_id, repository_id, full_name, private) VALUES
      (77, 900, 'alice/secret', true), (77, 901, 'alice/open', false), (78, 902, 'acme/private', true)`);
    const bound = async (label: string, owner: string, repo: string, id: number | null) => {
      const [project] = await old.query<{ id: string }[]>(`INSERT INTO projects (user_id, name) VALUES ($1, $2) RETURNING id`, [owner, label]);
      const [row] = await old.query<{ id: string }[]>(
        `INSERT INTO services (project_id, user_id, name, host, repo_url, port, webhook_secret, github_repository_id) VALUES ($1, $2, 'web', $3, $4, 8080, 'x', $5) RETURNING id`,
        [project?.id, owner, `${label}-web`, `https://github.com/${repo}`, id],
      );
      services[label] = row?.id ?? '';
    };
    await bound('own-private', alice, 'alice/secret', 900);
    await bound('others-private', mallory, 'alice/secret', 900);
    await bound('public', mallory, 'alice/open', 901);
    await bound('org-private', alice, 'acme/private', 902);
    await bound('uninstalled', alice, 'alice/gone', 999);
    await bound('unbound', alice, 'alice/never', null);
    db = await database.upgrade();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('keeps a public repository\'s and the owner\'s own account\'s bindings, clears every other', async () => {
    expect(await db.showMigrations()).toBe(false);
    const rows = await db.query<{ id: string; bound: string | null }[]>(`SELECT id, github_repository_id::text AS bound FROM services`);
    const of = (label: string) => rows.find((r) => r.id === services[label])?.bound ?? null;
    expect(Object.fromEntries(Object.keys(services).map((label) => [label, of(label)]))).toEqual({
      'own-private': '900',
      'others-private': null,
      public: '901',
      'org-private': null,
      uninstalled: null,
      unbound: null,
    });
    // A kept binding of a public repository that is not the owner's own holds only while it stays public.
    const publicOnly = await db.query<{ id: string }[]>(`SELECT id FROM services WHERE github_repository_public_only`);
    expect(publicOnly.map((r) => r.id)).toEqual([services.public]);
  });
});
