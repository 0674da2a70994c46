import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `deployments.build_job_at`: when the pipeline asked for the build's Job to be committed.
 * The renderer puts a build Job into the state repo only for a row that has it, so a
 * pending push with no pipeline to run it (no cluster) leaves the repo without a Job, at a
 * restart's reconcile as at any other commit of its tenant.
 *
 * Rows that were unfinished builds before this version may have their Job committed and
 * applied already: they keep it (the applier never re-creates a build Job it applied, so
 * dropping it now would end that build).
 */
export class BuildJobCommitted1765310000000 implements MigrationInterface {
  name = 'BuildJobCommitted1765310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments ADD COLUMN build_job_at timestamptz`);
    await q.query(`UPDATE deployments SET build_job_at = created_at WHERE status IN ('pending', 'building') AND trigger IN ('push', 'manual')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments DROP COLUMN build_job_at`);
  }
}
