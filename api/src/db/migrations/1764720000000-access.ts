import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who may use the platform: a role and a status per user, when they last signed
 * in, and the sign-in requests of people the policy did not let in (an admin
 * allows or dismisses them). An existing install keeps working: its users are
 * allowed members, and its oldest user becomes the admin.
 */
export class Access1764720000000 implements MigrationInterface {
  name = 'Access1764720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE users
        ADD COLUMN role varchar(10) NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),
        ADD COLUMN status varchar(10) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
        ADD COLUMN approved boolean NOT NULL DEFAULT false,
        ADD COLUMN avatar_url text,
        ADD COLUMN last_sign_in_at timestamptz`);
    await q.query(`UPDATE users SET approved = true`);
    await q.query(`UPDATE users SET role = 'admin' WHERE id = (SELECT id FROM users ORDER BY created_at, id LIMIT 1)`);
    await q.query(`
      CREATE TABLE access_requests (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        github_id bigint NOT NULL UNIQUE,
        login varchar(255) NOT NULL,
        avatar_url text,
        status varchar(10) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'allowed', 'dismissed')),
        requested_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE access_requests`);
    await q.query(`ALTER TABLE users DROP COLUMN role, DROP COLUMN status, DROP COLUMN approved, DROP COLUMN avatar_url, DROP COLUMN last_sign_in_at`);
  }
}
