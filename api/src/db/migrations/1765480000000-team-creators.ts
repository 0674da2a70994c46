import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who created each team (issue 36's review): `MAX_TEAMS_PER_USER` counts the teams a person
 * created that still exist, whoever owns them since. Teams made before have no creator
 * (null): they count for nobody.
 */
export class TeamCreators1765480000000 implements MigrationInterface {
  name = 'TeamCreators1765480000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE teams ADD COLUMN created_by uuid REFERENCES users(id) ON DELETE SET NULL`);
    await q.query(`CREATE INDEX teams_created_by ON teams (created_by) WHERE created_by IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE teams DROP COLUMN created_by`);
  }
}
