/**
 * The upgrade to teams (migration 1765410000000) on a real PostgreSQL holding the rows of
 * the version before it: every existing tenant loads exactly as before (namespace, each
 * service's host, so every path of the state repo: the render is a function of it), every
 * user stays a person, and each project list answers the namespaces it did.
 */
import { randomBytes } from 'node:crypto';
import { tenantDir } from '@dangus/gitops-writer';
import type { DataSource } from 'typeorm';
import { Encryptor } from '../src/crypto/encryption.js';
import { migrations } from '../src/db/migrations/index.js';
import { Teams1765410000000 } from '../src/db/migrations/1765410000000-teams.js';
import { TeamCreators1765480000000 } from '../src/db/migrations/1765480000000-team-creators.js';
import { InvitationAdmission1765481000000 } from '../src/db/migrations/1765481000000-invitation-admission.js';
import { EnvRevision } from '../src/state-repo/env-revision.js';
import { TenantLoader } from '../src/state-repo/tenant-loader.js';
import { LIST_PROJECTS_SQL } from '../src/use-cases/projects.js';
import { databaseWithout, type OldDatabase } from './support/migration-database.js';

/** The migrations of teams (the first, and those after it that build on its tables): the version before has none. */
const TEAM_MIGRATIONS: (typeof migrations)[number][] = [Teams1765410000000, TeamCreators1765480000000, InvitationAdmission1765481000000];

const OWNERS = [
  { hash: 'ab12cd', projects: { shop: ['web', 'api'], blog: ['web'] } },
  { hash: 'zz99yy', projects: { shop: ['web', `s${'x'.repeat(40)}`] } },
];

describe('migration: teams leave existing tenants where they are', () => {
  let database: OldDatabase;
  const key = randomBytes(32);
  let db: DataSource;
  let before: unknown;
  const userIds: string[] = [];

  const load = async (source: DataSource) => {
    const loader = new TenantLoader({ db: source, encryptor: new Encryptor('k1', key), envRevision: new EnvRevision(key) });
    const { tenants, failures } = await loader.loadEach();
    expect(failures).toEqual([]);
    return tenants
      .map((tenant) => ({ namespace: tenant.namespace, dir: tenantDir(tenant.namespace), hash: tenant.userHash, hosts: tenant.services.map((s) => `${s.name} ${s.host}`).sort() }))
      .sort((a, b) => a.namespace.localeCompare(b.namespace));
  };

  beforeAll(async () => {
    database = await databaseWithout(...TEAM_MIGRATIONS);
    const old = database.old;
    for (const [i, owner] of OWNERS.entries()) {
      const [user] = await old.query<{ id: string }[]>(
        `INSERT INTO users (github_id, github_username, github_access_token, hash) VALUES ($1, $2, 'x', $3) RETURNING id`,
        [3000 + i, `user${String(i)}`, owner.hash],
      );
      userIds.push(user?.id ?? '');
      for (const [project, services] of Object.entries(owner.projects)) {
        const [row] = await old.query<{ id: string }[]>(`INSERT INTO projects (user_id, name) VALUES ($1, $2) RETURNING id`, [user?.id, project]);
        for (const service of services) {
          await old.query(
            `INSERT INTO services (project_id, user_id, name, host, repo_url, port, webhook_secret) VALUES ($1, $2, $3, $4, 'https://github.com/a/b', 8080, 'x')`,
            [row?.id, user?.id, service, `${owner.hash}-${project}--${service}`.slice(0, 63)],
          );
        }
      }
    }
    // Today's loader reads users.kind (a team project's quota, issue 36), which the version
    // before lacks: for its load alone, every account is a person's, as it was; then the
    // column goes again, so the upgrade below adds it as it would.
    await old.query(`ALTER TABLE users ADD COLUMN kind varchar(10) NOT NULL DEFAULT 'person'`);
    before = await load(old);
    await old.query(`ALTER TABLE users DROP COLUMN kind`);
    db = await database.upgrade();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('every namespace, host and state-repo directory is unchanged, and every user is a person', async () => {
    expect(await db.showMigrations()).toBe(false);
    expect(await load(db)).toEqual(before);
    expect((before as unknown[]).length).toBe(3);
    expect(await db.query(`SELECT DISTINCT kind FROM users`)).toEqual([{ kind: 'person' }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM teams`)).toEqual([{ n: 0 }]);
  });

  it('each user\'s project list answers the namespaces of their own hash, as before', async () => {
    for (const [i, owner] of OWNERS.entries()) {
      const [row] = await db.query<{ body: string }[]>(LIST_PROJECTS_SQL, [userIds[i]]);
      const list = JSON.parse(row?.body ?? '[]') as { namespace: string; name: string }[];
      expect(list.map((p) => p.namespace).sort()).toEqual(Object.keys(owner.projects).map((p) => `${owner.hash}-${p}`).sort());
    }
  });
});
