/**
 * The upgrade to per-project service names (migration 1765330000000): on a real
 * PostgreSQL holding the rows of the version before it, every existing service keeps
 * the host it had, `{hash}-{service}`, stored on its row, read by the renderer and the
 * api's views; a new service of the same name in another project then gets a host of
 * its own.
 */
import { randomBytes } from 'node:crypto';
import { serviceHostFor } from '@dangus/common';
import type { DataSource } from 'typeorm';
import { Encryptor } from '../src/crypto/encryption.js';
import { ServiceHosts1765330000000 } from '../src/db/migrations/1765330000000-service-hosts.js';
import { EnvRevision } from '../src/state-repo/env-revision.js';
import { TenantLoader } from '../src/state-repo/tenant-loader.js';
import { databaseWithout, type OldDatabase } from './support/migration-database.js';

/** The host every service had before this migration: `{hash}-{service}` (what the api computed then). */
const legacyServiceHostFor = (userHash: string, serviceName: string) => `${userHash}-${serviceName}`;

const OWNERS = [
  { hash: 'ab12cd', project: 'shop', services: ['web', 'api'] },
  { hash: 'zz99yy', project: 'blog', services: ['web', `s${'x'.repeat(55)}`] },
];

describe('migration: service hosts stored on their rows', () => {
  let database: OldDatabase;
  let db: DataSource;

  beforeAll(async () => {
    database = await databaseWithout(ServiceHosts1765330000000);
    const before = database.old;
    expect(await before.showMigrations()).toBe(false);
    for (const [i, owner] of OWNERS.entries()) {
      const [user] = await before.query<{ id: string }[]>(
        `INSERT INTO users (github_id, github_username, github_access_token, hash) VALUES ($1, $2, 'x', $3) RETURNING id`,
        [1000 + i, `user${String(i)}`, owner.hash],
      );
      const [project] = await before.query<{ id: string }[]>(`INSERT INTO projects (user_id, name) VALUES ($1, $2) RETURNING id`, [user?.id, owner.project]);
      for (const service of owner.services) {
        await before.query(
          `INSERT INTO services (project_id, user_id, name, repo_url, port, webhook_secret) VALUES ($1, $2, $3, 'https://github.com/a/b', 8080, 'x')`,
          [project?.id, user?.id, service],
        );
      }
    }
    // The new version starts: the api's own start-up applies what is pending.
    db = await database.upgrade();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('every existing service keeps its host, and the renderer reads it from the row', async () => {
    const rows = await db.query<{ hash: string; name: string; host: string }[]>(
      `SELECT u.hash, s.name, s.host FROM services s JOIN users u ON u.id = s.user_id ORDER BY u.hash, s.name`,
    );
    const expected = OWNERS.flatMap((owner) => owner.services.map((service) => ({ hash: owner.hash, name: service, host: legacyServiceHostFor(owner.hash, service) })));
    expect(rows).toEqual(expected.sort((a, b) => a.hash.localeCompare(b.hash) || a.name.localeCompare(b.name)));
    // The longest name's old host is 63 characters: still one label, kept as it was.
    expect(rows.map((row) => row.host.length)).toContain(63);
    const key = randomBytes(32);
    const loader = new TenantLoader({ db, encryptor: new Encryptor('k1', key), envRevision: new EnvRevision(key) });
    const { tenants } = await loader.loadEach();
    expect(tenants.flatMap((tenant) => tenant.services.map((service) => `${tenant.userHash}/${service.name} ${service.host}`)).sort()).toEqual(
      expected.map((row) => `${row.hash}/${row.name} ${row.host}`).sort(),
    );
  });

  it('after it, a service of an existing name in another project gets its own host, and a host is unique', async () => {
    const [user] = await db.query<{ id: string }[]>(`SELECT id FROM users WHERE hash = 'ab12cd'`);
    const [project] = await db.query<{ id: string }[]>(`INSERT INTO projects (user_id, name) VALUES ($1, 'staging') RETURNING id`, [user?.id]);
    const insert = (host: string) =>
      db.query(`INSERT INTO services (project_id, user_id, name, host, repo_url, port, webhook_secret) VALUES ($1, $2, 'web', $3, 'https://github.com/a/b', 8080, 'x')`, [
        project?.id,
        user?.id,
        host,
      ]);
    await insert(serviceHostFor('ab12cd', 'staging', 'web'));
    const hosts = await db.query<{ host: string }[]>(`SELECT host FROM services WHERE user_id = $1 AND name = 'web'`, [user?.id]);
    expect(hosts.map((row) => row.host).sort()).toEqual(['ab12cd-staging--web', 'ab12cd-web']);
    // Another service at an existing host is refused by the database itself.
    await db.query(`DELETE FROM services WHERE project_id = $1`, [project?.id]);
    await expect(insert('ab12cd-web')).rejects.toThrow(/services_host_key/);
    await expect(insert('Not-A-Label-')).rejects.toThrow(/services_host_label/);
  });
});
