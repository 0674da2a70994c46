import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GitHub recycles logins: a renamed or deleted account's login goes to whoever asks
 * for it next. A login listed in ADMIN_GITHUB_USERS or ALLOWED_GITHUB_USERS is pinned
 * to the numeric id of the account that first signs in with it, and names only that
 * account from then on. An existing install pins at each login's next sign-in.
 */
export class LoginPins1765238400000 implements MigrationInterface {
  name = 'LoginPins1765238400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE github_login_pins (
        login varchar(39) PRIMARY KEY CHECK (login = lower(login)),
        github_id bigint NOT NULL,
        pinned_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX github_login_pins_github_id ON github_login_pins (github_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE github_login_pins`);
  }
}
