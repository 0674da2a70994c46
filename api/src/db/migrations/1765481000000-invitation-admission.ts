import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An invitation a platform admin marks as admitting its login past the sign-in allowlist
 * (issue 36): without the mark, the allowlist applies to the invited as to anyone.
 */
export class InvitationAdmission1765481000000 implements MigrationInterface {
  name = 'InvitationAdmission1765481000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE team_invitations ADD COLUMN admits_outside_allowlist boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE INDEX team_invitations_admitting ON team_invitations (lower(github_login)) WHERE admits_outside_allowlist AND used_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE team_invitations DROP COLUMN admits_outside_allowlist`);
  }
}
