import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Running services: when the owner last asked for a rolling restart (rendered as a pod
 * template annotation, so a restart is a commit like any other change), how many pods it
 * runs, and its size (one of the operator's SERVICE_SIZES; null for the defaults).
 */
export class ServiceRuntime1764892800000 implements MigrationInterface {
  name = 'ServiceRuntime1764892800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE services
        ADD COLUMN restarted_at timestamptz,
        ADD COLUMN replicas integer NOT NULL DEFAULT 1 CHECK (replicas BETWEEN 1 AND 10),
        ADD COLUMN size varchar(40)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services DROP COLUMN restarted_at, DROP COLUMN replicas, DROP COLUMN size`);
  }
}
