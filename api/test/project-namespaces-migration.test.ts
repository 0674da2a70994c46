/**
 * The upgrade that pins each project's namespace (migration 1765482000000) on a real
 * PostgreSQL holding the rows of the version before it, a team's project among them: every
 * project's column is the namespace the owner's hash gave it, so nothing of any tenant moves
 * (the tenant loader's namespace, state-repo directory and hosts; the project lists), and a
 * row inserted without one later gets the same formula.
 */
import { randomBytes } from 'node:crypto';
import { namespaceFor } from '@dangus/common';
import { tenantDir } from '@dangus/gitops-writer';
import type { DataSource } from 'typeorm';
import { Encryptor } from '../src/crypto/encryption.js';
import { ProjectNamespaces1765482000000 } from '../src/db/migrations/1765482000000-project-namespaces.js';
import { EnvRevision } from '../src/state-repo/env-revision.js';
import { TenantLoader } from '../src/state-repo/tenant-loader.js';
import { LIST_PROJECTS_SQL } from '../src/use-cases/projects.js';
import { databaseWithout, type OldDatabase } from './support/migration-database.js';

const OWNERS = [
  { hash: 'ab12cd', kind: 'person', projects: { shop: ['web', 'api'], blog: ['web'] } },
  { hash: 'te4m00', kind: 'team', projects: { shop: ['web'] } },
];

describe('migration: a project\'s namespace pinned on its row', () => {
  let database: OldDatabase;
  const key = randomBytes(32);
  let db: DataSource;
  const userIds: string[] = [];
  const expected: { namespace: string; dir: string; hosts: string[] }[] = [];

  beforeAll(async () => {
    database = await databaseWithout(ProjectNamespaces1765482000000);
    const old = database.old;
    for (const [i, owner] of OWNERS.entries()) {
      const [user] = await old.query<{ id: string }[]>(
        `INSERT INTO users (github_id, github_username, github_access_token, hash, kind) VALUES ($1, $2, 'x', $3, $4) RETURNING id`,
        [owner.kind === 'team' ? -1 - i : 3000 + i, `owner${String(i)}`, owner.hash, owner.kind],
      );
      userIds.push(user?.id ?? '');
      for (const [project, services] of Object.entries(owner.projects)) {
        const [row] = await old.query<{ id: string }[]>(`INSERT INTO projects (user_id, name) VALUES ($1, $2) RETURNING id`, [user?.id, project]);
        const hosts: string[] = [];
        for (const service of services) {
          const host = `${owner.hash}-${project}--${service}`;
          hosts.push(`${service} ${host}`);
          await old.query(
            `INSERT INTO services (project_id, user_id, name, host, repo_url, port, webhook_secret) VALUES ($1, $2, $3, $4, 'https://github.com/a/b', 8080, 'x')`,
            [row?.id, user?.id, service, host],
          );
        }
        const namespace = namespaceFor(owner.hash, project);
        expected.push({ namespace, dir: tenantDir(namespace), hosts: hosts.sort() });
      }
    }
    db = await database.upgrade();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('fills every project\'s namespace with the one it had: the loader, the repo paths and the hosts are unchanged', async () => {
    expect(await db.showMigrations()).toBe(false);
    const loader = new TenantLoader({ db, encryptor: new Encryptor('k1', key), envRevision: new EnvRevision(key) });
    const { tenants, failures } = await loader.loadEach();
    expect(failures).toEqual([]);
    const loaded = tenants
      .map((t) => ({ namespace: t.namespace, dir: tenantDir(t.namespace), hosts: t.services.map((s) => `${s.name} ${s.host}`).sort() }))
      .sort((a, b) => a.namespace.localeCompare(b.namespace));
    expect(loaded).toEqual([...expected].sort((a, b) => a.namespace.localeCompare(b.namespace)));
    expect(loaded).toHaveLength(3);
    for (const [i, owner] of OWNERS.entries()) {
      const [row] = await db.query<{ body: string }[]>(LIST_PROJECTS_SQL, [userIds[i]]);
      const list = JSON.parse(row?.body ?? '[]') as { namespace: string }[];
      expect(list.map((p) => p.namespace).sort()).toEqual(Object.keys(owner.projects).map((p) => `${owner.hash}-${p}`).sort());
    }
  });

  it('pins it: a new owner changes nothing; a row inserted without one gets the formula; two projects cannot share one', async () => {
    await db.query(`UPDATE projects SET user_id = $1 WHERE user_id = $2 AND name = 'blog'`, [userIds[1], userIds[0]]);
    expect(await db.query(`SELECT namespace FROM projects WHERE name = 'blog'`)).toEqual([{ namespace: 'ab12cd-blog' }]);
    await db.query(`INSERT INTO projects (user_id, name) VALUES ($1, 'docs')`, [userIds[0]]);
    expect(await db.query(`SELECT namespace FROM projects WHERE name = 'docs'`)).toEqual([{ namespace: 'ab12cd-docs' }]);
    await expect(db.query(`INSERT INTO projects (user_id, name, namespace) VALUES ($1, 'other', 'ab12cd-docs')`, [userIds[1]])).rejects.toThrow(/projects_namespace_key/);
  });
});
