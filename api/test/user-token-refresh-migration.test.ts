/**
 * The upgrade to refreshed App user tokens (migration 1765590000000) on a real PostgreSQL
 * holding the rows of the version before it: a binding nobody is recorded as proving gets its
 * proof dated at the upgrade (its 7-day grace starts there, github/binding-recheck.ts); a
 * proven one, a public-only one and an unbound service keep theirs; users get no refresh token
 * until they sign in again (docs/architecture.md#github-app).
 */
import type { DataSource } from 'typeorm';
import { UserTokenRefresh1765590000000 } from '../src/db/migrations/1765590000000-user-token-refresh.js';
import { databaseWithout, type OldDatabase } from './support/migration-database.js';

describe('migration: expiring user tokens and the re-check\'s grace', () => {
  let database: OldDatabase;
  let db: DataSource;
  const services: Record<string, string> = {};

  beforeAll(async () => {
    database = await databaseWithout(UserTokenRefresh1765590000000);
    const old = database.old;
    const [alice] = await old.query<{ id: string }[]>(`INSERT INTO users (github_id, github_username, github_access_token, hash) VALUES (5001, 'alice', 'x', 'alicex') RETURNING id`);
    const [project] = await old.query<{ id: string }[]>(`INSERT INTO projects (user_id, name) VALUES ($1, 'shop') RETURNING id`, [alice?.id]);
    const bound = async (label: string, id: number | null, by: string | null, at: string | null, publicOnly = false) => {
      const [row] = await old.query<{ id: string }[]>(
        `INSERT INTO services (project_id, user_id, name, host, repo_url, port, webhook_secret, github_repository_id, repository_proven_by, repository_proven_at, github_repository_public_only)
         VALUES ($1, $2, $3, $4, 'https://github.com/acme/secret', 8080, 'x', $5, $6, $7, $8) RETURNING id`,
        [project?.id, alice?.id, label, `${label}-shop`, id, by, at, publicOnly],
      );
      services[label] = row?.id ?? '';
    };
    await bound('unproven', 900, null, null);
    await bound('proven', 900, alice?.id ?? null, '2020-01-01T00:00:00Z');
    await bound('public', 901, null, null, true);
    await bound('unbound', null, null, null);
    db = await database.upgrade();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('dates the proof of a binding nobody proved at the upgrade, and no other', async () => {
    expect(await db.showMigrations()).toBe(false);
    const rows = await db.query<{ id: string; at: Date | null }[]>(`SELECT id, repository_proven_at AS at FROM services`);
    const at = (label: string) => rows.find((r) => r.id === services[label])?.at ?? null;
    expect(Date.now() - (at('unproven')?.getTime() ?? 0)).toBeLessThan(600_000);
    expect(at('proven')?.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(at('public')).toBeNull();
    expect(at('unbound')).toBeNull();
    expect(await db.query(`SELECT github_refresh_token, github_token_expires_at FROM users`)).toEqual([{ github_refresh_token: null, github_token_expires_at: null }]);
  });
});
