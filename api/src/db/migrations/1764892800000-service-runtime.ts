import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Running services: when the owner last asked for a rolling restart (rendered as a pod
 * template annotation, so a restart is a commit like any other change).
 */
export class ServiceRuntime1764892800000 implements MigrationInterface {
  name = 'ServiceRuntime1764892800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services ADD COLUMN restarted_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services DROP COLUMN restarted_at`);
  }
}
